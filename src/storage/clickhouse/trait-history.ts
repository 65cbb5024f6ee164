/**
 * Identify operations on ClickHouse, with the meaning of the embedded writer
 * (duckdb/trait-op-writer.ts): every operation row keeps its resulting value
 * (readers take the latest (ts, seq) row), and an operation older than later
 * rows of the same property recomputes them.
 *
 * ClickHouse rows are not updated: a recomputed row is appended as a copy with
 * the same ts and a new, higher seq. Every later row of the property is copied
 * (in order) so copies keep their order among themselves and beat the rows they
 * replace at the same ts; `user_trait_ops.origin` says which row a copy
 * replaces. This class holds, for one write group, the histories it touched
 * (rows in ClickHouse plus rows of the group not yet inserted) and the rows to
 * insert. The caller holds the person locks (IdentityStore.lockPeople).
 */
import { applyTraitOp, OP_ORDER, VALUE_OPS, type KeyOp, type TraitOp } from '../trait-ops.js';
import { quoteClickHouseString } from '../../cohort/dialects/clickhouse-literals.js';
import type { ClickHouseClient } from './client.js';
import type { ChTrait } from './event-writer.js';
import type { SeqPool } from './seq-pool.js';

const VALUE_OP_SET = new Set<string>(VALUE_OPS);
const sameJson = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
const parse = (v: string): unknown => {
  const x = JSON.parse(v) as unknown;
  return x === null ? undefined : x;
};

interface HistRow {
  /** Microseconds. */
  ts: number;
  seq: number;
  value: unknown;
  op: KeyOp | null;
  arg: unknown;
  origin: number;
}

export interface TraitOpRow {
  uid: number;
  key: string;
  seq: number;
  op: string;
  arg: string;
  origin: number;
}

const uidList = (uids: readonly number[]) => uids.map((u) => String(Math.trunc(u))).join(', ');
const keyList = (keys: readonly string[]) => keys.map(quoteClickHouseString).join(', ');

export class TraitGroup {
  /** Rows to insert into user_traits / user_trait_ops when the group commits. */
  readonly traits: ChTrait[] = [];
  readonly ops: TraitOpRow[] = [];
  /** person -> key -> effective history (copies replacing their origins), sorted by (ts, seq). */
  private readonly hist = new Map<number, Map<string, HistRow[]>>();
  /** person -> properties with a value-reading operation row. */
  private readonly opKeys = new Map<number, Set<string>>();
  /** person -> every key whose rows count for it. */
  private readonly keys = new Map<number, number[]>();

  constructor(
    private readonly client: ClickHouseClient,
    private readonly seq: SeqPool,
  ) {}

  /** Learns the keys of these people and which of their properties have operation rows (one query). */
  async load(people: Map<number, number[]>): Promise<void> {
    const todo = [...people].filter(([p]) => !this.keys.has(p));
    if (!todo.length) return;
    const owner = new Map<number, number>();
    for (const [p, ks] of todo) {
      this.keys.set(p, ks);
      this.opKeys.set(p, new Set());
      for (const k of ks) owner.set(k, p);
    }
    const rows = await this.client.query<{ u: string; key: string }>(
      `SELECT DISTINCT toString(uid) AS u, key FROM user_trait_ops WHERE op != '' AND uid IN (${uidList([...owner.keys()])})`,
    );
    for (const r of rows) this.opKeys.get(owner.get(Number(r.u))!)!.add(r.key);
    for (const o of this.ops) if (o.op && owner.has(o.uid)) this.opKeys.get(owner.get(o.uid)!)!.add(o.key);
  }

  /** Person `from` (with all its keys) now counts for `into`. */
  merged(from: number, into: number, intoKeys: number[]): void {
    const ok = new Set([...(this.opKeys.get(into) ?? []), ...(this.opKeys.get(from) ?? [])]);
    for (const p of [from, into]) {
      this.hist.delete(p);
      this.keys.delete(p);
      this.opKeys.delete(p);
    }
    this.keys.set(into, intoKeys);
    this.opKeys.set(into, ok);
  }

  /** Applies one identify of person `uid` (loaded before): plain sets are appended, anything else in order. */
  async identify(uid: number, traits: Record<string, unknown>, extra: TraitOp[] | undefined, ts: Date): Promise<number> {
    const t = ts.getTime() * 1000;
    const ops: TraitOp[] = [...Object.entries(traits).map(([key, value]) => ({ op: '$set' as const, key, value })), ...(extra ?? [])];
    const known = this.opKeys.get(uid);
    if (!known) throw new Error(`person ${uid} not loaded`);
    if (!ops.some((o) => o.op !== '$set' || known.has(o.key))) {
      await this.seq.reserve(ops.length);
      for (const o of ops) if (o.op === '$set') this.append(uid, o.key, t, o.value, null, null);
      return ops.length;
    }
    return this.applyOrdered(uid, ops, t);
  }

  private async applyOrdered(uid: number, raw: TraitOp[], t: number): Promise<number> {
    const ops: { op: KeyOp; key: string; value: unknown }[] = [];
    for (const o of sortOps(raw)) {
      if (o.op !== '$clearAll') {
        ops.push(o);
        continue;
      }
      // Every property that holds a value at this time is unset.
      const all = await this.allKeys(uid);
      await this.history(uid, all);
      for (const key of all.sort()) if (valueAt(this.hist.get(uid)!.get(key)!, t) !== undefined) ops.push({ op: '$unset', key, value: null });
    }
    if (!ops.length) return 0;
    const keys = [...new Set(ops.map((o) => o.key))];
    await this.history(uid, keys);
    const h = this.hist.get(uid)!;
    await this.seq.reserve(ops.length);
    const current = new Map(keys.map((k) => [k, valueAt(h.get(k)!, t)]));
    for (const o of ops) {
      const value = applyTraitOp(o.op, current.get(o.key), o.value);
      current.set(o.key, value);
      this.append(uid, o.key, t, value, VALUE_OP_SET.has(o.op) ? o.op : null, o.value);
    }
    const opKeys = this.opKeys.get(uid)!;
    for (const key of keys) if (opKeys.has(key)) await this.replayLater(uid, key, t);
    return ops.length;
  }

  /** Recomputes the rows after time t from the values before them; copies them all when one changed. */
  private async replayLater(uid: number, key: string, t: number): Promise<void> {
    const rows = this.hist.get(uid)!.get(key)!;
    const first = rows.findIndex((r) => r.ts > t);
    if (first < 0) return;
    let cur = first > 0 ? rows[first - 1].value : undefined;
    const later = rows.slice(first).map((r) => {
      const value = r.op === null ? r.value : applyTraitOp(r.op, cur, r.arg);
      cur = value;
      return { ...r, value };
    });
    if (later.every((r, i) => sameJson(r.value, rows[first + i].value))) return;
    await this.seq.reserve(later.length);
    rows.length = first;
    for (const r of later) this.append(uid, key, r.ts, r.value, r.op, r.arg, r.origin);
  }

  /** Adds a row for person `uid` (its own key) at the end of its (ts) position, to insert and to the loaded history. */
  private append(uid: number, key: string, ts: number, value: unknown, op: KeyOp | null, arg: unknown, origin?: number): void {
    const seq = this.seq.take();
    const row: HistRow = { ts, seq, value, op, arg, origin: origin ?? seq };
    this.traits.push({ seq, uid, key, value: value ?? null, ts: new Date(ts / 1000) });
    if (op !== null || origin !== undefined) {
      this.ops.push({ uid, key, seq, op: op ?? '', arg: op === null ? '' : JSON.stringify(arg ?? null), origin: row.origin });
      if (op !== null) this.opKeys.get(uid)?.add(key);
    }
    const rows = this.hist.get(uid)?.get(key);
    if (!rows) return;
    let i = rows.length;
    while (i > 0 && rows[i - 1].ts > ts) i--;
    rows.splice(i, 0, row);
  }

  private async allKeys(uid: number): Promise<string[]> {
    const ks = this.keys.get(uid)!;
    const rows = await this.client.query<{ key: string }>(`SELECT DISTINCT key FROM user_traits WHERE uid IN (${uidList(ks)})`);
    const own = new Set(ks);
    return [...new Set([...rows.map((r) => r.key), ...this.traits.filter((r) => own.has(r.uid)).map((r) => r.key)])];
  }

  /** Loads the effective histories of these properties of a person (stored rows and this group's). */
  private async history(uid: number, keys: string[]): Promise<void> {
    let byKey = this.hist.get(uid);
    if (!byKey) this.hist.set(uid, (byKey = new Map()));
    const missing = keys.filter((k) => !byKey.has(k));
    if (!missing.length) return;
    const ks = this.keys.get(uid)!;
    const stored = await this.client.query<{ key: string; t: string; s: string; value: string; op: string; arg: string; o: string }>(
      `SELECT key, toString(ts) AS t, toString(seq) AS s, value, op, arg, toString(origin) AS o
         FROM (SELECT key, ts, seq, value FROM user_traits WHERE uid IN (${uidList(ks)}) AND key IN (${keyList(missing)})) AS tr
         ALL LEFT JOIN (SELECT seq, op, arg, origin FROM user_trait_ops WHERE uid IN (${uidList(ks)}) AND key IN (${keyList(missing)})) AS ops USING seq`,
    );
    const own = new Set(ks);
    const opOf = new Map(this.ops.map((o) => [o.seq, o]));
    const all: (HistRow & { key: string })[] = stored.map((r) => {
      const seq = Number(r.s);
      const origin = Number(r.o);
      return { key: r.key, ts: Number(r.t), seq, value: parse(r.value), op: (r.op || null) as KeyOp | null, arg: r.op ? parse(r.arg) : undefined, origin: origin || seq };
    });
    for (const r of this.traits) {
      if (!own.has(r.uid) || !missing.includes(r.key)) continue;
      const o = opOf.get(r.seq);
      all.push({ key: r.key, ts: r.ts.getTime() * 1000, seq: r.seq, value: r.value === null ? undefined : r.value, op: (o?.op || null) as KeyOp | null, arg: o?.op ? parse(o.arg) : undefined, origin: o?.origin ?? r.seq });
    }
    // A copy replaces its origin: keep the highest seq of each origin.
    const latest = new Map<number, HistRow & { key: string }>();
    for (const r of all) if ((latest.get(r.origin)?.seq ?? -1) < r.seq) latest.set(r.origin, r);
    for (const k of missing) byKey.set(k, []);
    for (const r of [...latest.values()].sort((a, b) => a.ts - b.ts || a.seq - b.seq)) byKey.get(r.key)!.push(r);
  }
}

/** The value after every row at or before time t (rows sorted by (ts, seq)). */
function valueAt(rows: HistRow[], t: number): unknown {
  let v: unknown;
  for (const r of rows) {
    if (r.ts > t) break;
    v = r.value;
  }
  return v;
}

function sortOps(ops: TraitOp[]): TraitOp[] {
  return ops.map((o, i) => ({ o, i })).sort((a, b) => OP_ORDER.indexOf(a.o.op) - OP_ORDER.indexOf(b.o.op) || a.i - b.i).map((x) => x.o);
}
