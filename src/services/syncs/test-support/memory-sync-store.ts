import { compareCodePoints } from '../plan-stream.js';
import type { DestinationRecord } from '../../../schemas/destination.js';
import type { SyncRecord, SyncRun } from '../../../schemas/sync.js';
import {
  DestinationInUseError,
  SyncExistsError,
  type InFlightBatch,
  type NewDestination,
  type NewSync,
  type SyncPatch,
  type SyncStore,
} from '../../../storage/sync-store.js';

type SyncRow = Omit<SyncRecord, 'lastRun' | 'paused'>;

const clone = <T>(v: T): T => structuredClone(v);

/** In-memory SyncStore for engine tests; same contract as the DuckDB adapter. */
export class MemorySyncStore implements SyncStore {
  destinations = new Map<string, DestinationRecord>();
  syncs = new Map<string, SyncRow>();
  acks = new Map<string, Set<string>>();
  runs = new Map<string, SyncRun>();
  /** Every commitBatch call, in order (tests inspect it). */
  commits: { syncId: string; op: 'add' | 'remove'; userIds: string[] }[] = [];

  async createDestination(d: NewDestination) {
    const rec: DestinationRecord = { id: d.id, name: d.name, type: d.type, config: clone(d.config), createdAt: d.now, updatedAt: d.now };
    this.destinations.set(d.id, rec);
    return clone(rec);
  }
  async getDestination(id: string) {
    const d = this.destinations.get(id);
    return d ? clone(d) : null;
  }
  async listDestinations() {
    return [...this.destinations.values()].map(clone);
  }
  async updateDestination(id: string, patch: { name?: string; config?: Record<string, unknown>; now: Date }) {
    const d = this.destinations.get(id);
    if (!d) return null;
    if (patch.name !== undefined) d.name = patch.name;
    if (patch.config !== undefined) d.config = clone(patch.config);
    d.updatedAt = patch.now;
    for (const s of this.syncs.values()) {
      if (s.destinationId === id && s.pausedReason === 'auth_failed') {
        s.pausedReason = null;
        s.state = 'idle';
        s.updatedAt = patch.now;
      }
    }
    return clone(d);
  }
  async deleteDestination(id: string, opts: { force?: boolean } = {}) {
    if (!this.destinations.has(id)) return false;
    const users = [...this.syncs.values()].filter((s) => s.destinationId === id).map((s) => s.id);
    if (users.length && !opts.force) throw new DestinationInUseError(users);
    for (const s of users) await this.deleteSync(s);
    this.destinations.delete(id);
    return true;
  }

  async createSync(s: NewSync) {
    for (const e of this.syncs.values()) {
      if (e.cohortId === s.cohortId && e.destinationId === s.destinationId) throw new SyncExistsError(e.id);
    }
    this.syncs.set(s.id, {
      id: s.id,
      cohortId: s.cohortId,
      destinationId: s.destinationId,
      frequency: s.frequency,
      batchSize: s.batchSize,
      pausedReason: null,
      state: 'idle',
      nextRunAt: s.nextRunAt,
      protocolState: {},
      fullSyncDoneAt: null,
      createdAt: s.now,
      updatedAt: s.now,
    });
    return (await this.getSync(s.id))!;
  }
  private present(row: SyncRow): SyncRecord {
    const runs = this.newestFirst(row.id);
    return clone({ ...row, paused: row.pausedReason !== null, lastRun: runs[0] ?? null });
  }
  async getSync(id: string) {
    const s = this.syncs.get(id);
    return s ? this.present(s) : null;
  }
  async listSyncs(filter: { cohortId?: string; destinationId?: string } = {}) {
    return [...this.syncs.values()]
      .filter((s) => (!filter.cohortId || s.cohortId === filter.cohortId) && (!filter.destinationId || s.destinationId === filter.destinationId))
      .map((s) => this.present(s));
  }
  async updateSync(id: string, patch: SyncPatch) {
    const s = this.syncs.get(id);
    if (!s) return null;
    const { now, ...rest } = patch;
    for (const [k, v] of Object.entries(rest)) if (v !== undefined) (s as any)[k] = v;
    s.updatedAt = now;
    return this.present(s);
  }
  async deleteSync(id: string) {
    if (!this.syncs.delete(id)) return false;
    this.acks.delete(id);
    this.inFlight.delete(id);
    for (const [rid, r] of this.runs) if (r.syncId === id) this.runs.delete(rid);
    return true;
  }
  async listDueSyncs(now: Date) {
    return [...this.syncs.values()]
      .filter((s) => s.pausedReason === null && s.nextRunAt !== null && s.nextRunAt.getTime() <= now.getTime())
      .map((s) => this.present(s));
  }
  async mergeProtocolState(syncId: string, patch: Record<string, unknown>) {
    const s = this.syncs.get(syncId);
    if (s) s.protocolState = { ...s.protocolState, ...clone(patch) };
  }
  async acknowledged(syncId: string) {
    return [...(this.acks.get(syncId) ?? [])];
  }
  async *acknowledgedPages(syncId: string) {
    const all = [...(this.acks.get(syncId) ?? [])].sort(compareCodePoints);
    for (let i = 0; i < all.length; i += 3) yield all.slice(i, i + 3); // small pages: the merge crosses page ends
  }
  async commitBatch(syncId: string, op: 'add' | 'remove', userIds: string[], opts: { endKey?: string } = {}) {
    let set = this.acks.get(syncId);
    if (!set) this.acks.set(syncId, (set = new Set()));
    for (const u of userIds) op === 'add' ? set.add(u) : set.delete(u);
    if (opts.endKey !== undefined) await this.endBatch(syncId, opts.endKey);
    this.commits.push({ syncId, op, userIds: [...userIds] });
  }
  /** In-flight batches per sync, in the order begun. */
  private readonly inFlight = new Map<string, InFlightBatch[]>();
  async beginBatch(syncId: string, b: InFlightBatch) {
    this.inFlight.set(syncId, [...(this.inFlight.get(syncId) ?? []), clone(b)]);
  }
  async inFlightBatches(syncId: string) {
    return clone(this.inFlight.get(syncId) ?? []);
  }
  async endBatch(syncId: string, key: string) {
    this.inFlight.set(syncId, (this.inFlight.get(syncId) ?? []).filter((b) => b.key !== key));
  }
  async insertRun(run: SyncRun) {
    this.runs.set(run.id, clone(run));
  }
  async updateRun(run: SyncRun) {
    this.runs.set(run.id, clone(run));
  }
  async getRun(id: string) {
    const r = this.runs.get(id);
    return r ? clone(r) : null;
  }
  async listRuns(syncId: string, opts: { limit?: number } = {}) {
    return this.newestFirst(syncId).slice(0, opts.limit ?? 100).map(clone);
  }
  /** By start time, ties broken by insertion order (the Map keeps it). */
  private newestFirst(syncId: string): SyncRun[] {
    return [...this.runs.values()]
      .map((r, i) => ({ r, i }))
      .filter(({ r }) => r.syncId === syncId)
      .sort((a, b) => b.r.startedAt.getTime() - a.r.startedAt.getTime() || b.i - a.i)
      .map(({ r }) => r);
  }
  async failInterruptedRuns(now: Date, message: string) {
    const ids: string[] = [];
    for (const r of this.runs.values()) {
      if (r.status !== 'running') continue;
      r.status = 'failed';
      r.finishedAt = now;
      r.errors.push({ at: now, status: null, message, sampleUserIds: [] });
      const s = this.syncs.get(r.syncId);
      if (s) {
        s.state = 'failing';
        s.updatedAt = now;
      }
      ids.push(r.syncId);
    }
    return ids;
  }
}
