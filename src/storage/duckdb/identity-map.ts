import type { SerialConnection } from './database.js';
import { UndoLog } from './undo-log.js';

/**
 * In-memory map from every known id (user ids, anonymous ids) to the integer
 * person key, mirrored in the `identities` and `users` tables. The process owns
 * the store, so the map is authoritative between starts; it lets the writer
 * assign keys without a round trip per event.
 *
 * Changes made while building a group commit are recorded in an undo log so a
 * failed commit leaves the map as it was.
 */
export class IdentityMap extends UndoLog {
  private readonly byExternal = new Map<string, number>();
  private readonly display = new Map<number, string>();
  private nextUid = 1;

  static async load(conn: SerialConnection): Promise<IdentityMap> {
    const m = new IdentityMap();
    for (const r of await conn.rows<{ external_id: string; uid: number }>('SELECT external_id, uid FROM identities')) {
      m.byExternal.set(r.external_id, r.uid);
    }
    for (const r of await conn.rows<{ uid: number; user_id: string }>('SELECT uid, user_id FROM users')) {
      m.display.set(r.uid, r.user_id);
      if (r.uid >= m.nextUid) m.nextUid = r.uid + 1;
    }
    return m;
  }

  get size(): number {
    return this.display.size;
  }

  uidOf(externalId: string): number | undefined {
    return this.byExternal.get(externalId);
  }

  displayOf(uid: number): string | undefined {
    return this.display.get(uid);
  }

  /** The person of `externalId`, creating it (returned in `created`) when unknown. */
  resolve(externalId: string, created: { uid: number; userId: string }[]): number {
    const known = this.byExternal.get(externalId);
    if (known !== undefined) return known;
    const uid = this.nextUid++;
    this.setExternal(externalId, uid);
    this.setDisplay(uid, externalId);
    this.onRollback(() => {
      this.nextUid = Math.min(this.nextUid, uid);
    });
    created.push({ uid, userId: externalId });
    return uid;
  }

  setExternal(externalId: string, uid: number): void {
    const before = this.byExternal.get(externalId);
    this.byExternal.set(externalId, uid);
    this.onRollback(() => (before === undefined ? this.byExternal.delete(externalId) : this.byExternal.set(externalId, before)));
  }

  setDisplay(uid: number, userId: string): void {
    const before = this.display.get(uid);
    this.display.set(uid, userId);
    this.onRollback(() => (before === undefined ? this.display.delete(uid) : this.display.set(uid, before)));
  }

  /** Points every id of person `from` at person `into` and drops `from`. */
  merge(from: number, into: number): void {
    for (const [ext, uid] of this.byExternal) if (uid === from) this.setExternal(ext, into);
    const before = this.display.get(from);
    this.display.delete(from);
    this.onRollback(() => {
      if (before !== undefined) this.display.set(from, before);
    });
  }
}
