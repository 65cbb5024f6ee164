import type { DuckDBConnection } from '@duckdb/node-api';
import { applyTraitOp, OP_ORDER, VALUE_OPS, type KeyOp, type TraitOp } from '../trait-ops.js';
import type { SerialConnection } from './database.js';
import { UndoLog } from './undo-log.js';

const VALUE_OP_SET = new Set<string>(VALUE_OPS);
const iso = (d: Date) => d.toISOString();
const KEYS_IN = `key IN (SELECT unnest(from_json(?::VARCHAR, '["VARCHAR"]')))`;
const parse = (v: string | null): unknown => {
  const x = v === null ? null : JSON.parse(v);
  return x === null ? undefined : x;
};
const sameJson = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

export interface TraitWrite {
  uid: number;
  ops: TraitOp[];
  ts: Date;
  receivedAt: Date;
  messageId?: string;
}

/**
 * Identify operations that read a property's value ($setOnce, $add, $append,
 * ...), applied in timestamp order inside the writer's transaction.
 *
 * `user_traits` keeps the resulting value of every operation (so every reader
 * keeps reading `value` at the greatest (ts, seq)); `user_trait_ops` records
 * which rows came from a value-reading operation and its argument. When an
 * operation arrives older than later rows of the same property, those later
 * operation rows are recomputed from it: the outcome does not depend on the
 * order in which requests arrive, nor on restarts (everything is in the store).
 */
export class TraitOpWriter extends UndoLog {
  /** uid -> properties that have at least one value-reading operation row. */
  private readonly opKeys = new Map<number, Set<string>>();

  static async load(conn: SerialConnection): Promise<TraitOpWriter> {
    const w = new TraitOpWriter();
    const rows = await conn.rows<{ uid: number; key: string }>(
      'SELECT DISTINCT t.uid, t.key FROM user_trait_ops o JOIN user_traits t ON t.seq = o.seq',
    );
    for (const r of rows) w.mark(r.uid, r.key, false);
    return w;
  }

  /** True when setting these keys plainly could change later operation rows (or the write has operations). */
  needsOrderedApply(uid: number, ops: TraitOp[]): boolean {
    const keys = this.opKeys.get(uid);
    return ops.some((o) => o.op !== '$set' || keys?.has(o.key));
  }

  /** Person `from` was merged into `into`: its rows now carry `into`. */
  merge(from: number, into: number): void {
    const keys = this.opKeys.get(from);
    if (!keys) return;
    for (const k of keys) this.mark(into, k, true);
    this.opKeys.delete(from);
    this.onRollback(() => this.opKeys.set(from, keys));
  }

  private mark(uid: number, key: string, undoable: boolean): void {
    let keys = this.opKeys.get(uid);
    if (!keys) {
      keys = new Set();
      this.opKeys.set(uid, keys);
    }
    if (keys.has(key)) return;
    keys.add(key);
    if (undoable) this.onRollback(() => keys.delete(key));
  }

  /**
   * Applies one identify's operations (rows appended earlier in the
   * transaction must be flushed: this reads and updates them).
   */
  async apply(c: DuckDBConnection, w: TraitWrite, nextSeq: () => number): Promise<void> {
    const rows = async <T>(sql: string, params: unknown[]) => (await c.runAndReadAll(sql, params as never)).getRowObjects() as T[];
    const ops: { op: KeyOp; key: string; value: unknown }[] = [];
    for (const o of sortOps(w.ops)) {
      if (o.op !== '$clearAll') {
        ops.push(o);
        continue;
      }
      // Every property that holds a value at this time is unset.
      const set = await rows<{ key: string }>(
        `SELECT key FROM user_traits WHERE uid = ? AND ts <= CAST(? AS TIMESTAMP) GROUP BY key
          HAVING arg_max(value, (ts, seq))::VARCHAR <> 'null' ORDER BY key`,
        [w.uid, iso(w.ts)],
      );
      for (const r of set) ops.push({ op: '$unset', key: r.key, value: null });
    }
    if (!ops.length) return;
    const keys = [...new Set(ops.map((o) => o.key))];
    const current = new Map<string, unknown>();
    for (const r of await rows<{ key: string; value: string }>(
      `SELECT key, arg_max(value, (ts, seq))::VARCHAR AS value FROM user_traits
        WHERE uid = ? AND ts <= CAST(? AS TIMESTAMP) AND ${KEYS_IN} GROUP BY key`,
      [w.uid, iso(w.ts), JSON.stringify(keys)],
    )) {
      current.set(r.key, parse(r.value));
    }
    for (const o of ops) {
      const value = applyTraitOp(o.op, current.get(o.key), o.value);
      current.set(o.key, value);
      const seq = nextSeq();
      await c.run(
        'INSERT INTO user_traits (seq, uid, key, value, ts, message_id, received_at) VALUES (?, ?, ?, ?, CAST(? AS TIMESTAMP), ?, CAST(? AS TIMESTAMP))',
        [seq, w.uid, o.key, JSON.stringify(value ?? null), iso(w.ts), w.messageId ?? null, iso(w.receivedAt)] as never,
      );
      if (VALUE_OP_SET.has(o.op)) {
        await c.run('INSERT INTO user_trait_ops (seq, op, arg) VALUES (?, ?, ?)', [seq, o.op, JSON.stringify(o.value ?? null)] as never);
        this.mark(w.uid, o.key, true);
      }
    }
    await this.replayLater(c, w, keys.filter((k) => this.opKeys.get(w.uid)?.has(k)), current, rows);
  }

  /** Recomputes the operation rows newer than this write, from the values it left. */
  private async replayLater(
    c: DuckDBConnection,
    w: TraitWrite,
    keys: string[],
    current: Map<string, unknown>,
    rows: <T>(sql: string, params: unknown[]) => Promise<T[]>,
  ): Promise<void> {
    if (!keys.length) return;
    const later = await rows<{ key: string; seq: bigint; value: string; op: KeyOp | null; arg: string | null }>(
      `SELECT t.key, t.seq, t.value::VARCHAR AS value, o.op, o.arg::VARCHAR AS arg
         FROM user_traits t LEFT JOIN user_trait_ops o ON o.seq = t.seq
        WHERE t.uid = ? AND t.ts > CAST(? AS TIMESTAMP) AND t.${KEYS_IN}
        ORDER BY t.ts, t.seq`,
      [w.uid, iso(w.ts), JSON.stringify(keys)],
    );
    for (const r of later) {
      const stored = parse(r.value);
      if (r.op === null) {
        current.set(r.key, stored);
        continue;
      }
      const value = applyTraitOp(r.op, current.get(r.key), parse(r.arg));
      current.set(r.key, value);
      if (!sameJson(value, stored)) {
        await c.run('UPDATE user_traits SET value = ? WHERE uid = ? AND seq = ?', [JSON.stringify(value ?? null), w.uid, r.seq] as never);
      }
    }
  }
}

function sortOps(ops: TraitOp[]): TraitOp[] {
  return ops.map((o, i) => ({ o, i })).sort((a, b) => OP_ORDER.indexOf(a.o.op) - OP_ORDER.indexOf(b.o.op) || a.i - b.i).map((x) => x.o);
}
