import type { DuckDBConnection } from '@duckdb/node-api';
import { Sql, type EventRollup } from '../../cohort/dialect.js';
import { duckdbDialect } from '../../cohort/dialects/duckdb.js';
import type { SerialConnection } from './database.js';
import type { HotColumns } from './hot-columns.js';
import type { Migration } from './migrations.js';

/**
 * Per-(event, person) summaries of the events up to a sequence number, which the cohort
 * compiler reads where they are exact (src/cohort/rollup-rules.ts):
 * - `event_rollup`: one row per (event, uid) with the row count, the latest ts, and per hot
 *   slot holding numbers the sum, count, min and max of its number column;
 * - `event_rollup_keys`: one row per (event, slot, uid, distinct key) with the latest ts of
 *   those rows, for hot text slots with few distinct values (the dialect's distinct key of the
 *   slot's text, the same expression a compiled rule computes), sorted by (event, slot,
 *   max_ts) so a window's start skips the older row groups;
 * - `event_rollup_state`: the seq covered and which slots each table has (no row: none yet).
 *
 * Built whole by the reorganizer on its background connection from `events_all` rows with
 * `seq <= upTo` (or, during a bulk load in slices, from parts equal to that: event-rollup-parts.ts)
 * and swapped in at a hand-over. Nothing else writes them: ingestion and merges
 * after `upTo` make them stale, which compiled queries handle by reading the people concerned
 * from the events (the summaries are never wrong, only less useful until the next build).
 */
export const EVENT_ROLLUP_MIGRATIONS: readonly Migration[] = [
  {
    id: 'core-005-event-rollup',
    sql: `CREATE TABLE event_rollup_state (upto_seq BIGINT NOT NULL, covered BIGINT NOT NULL, num_slots VARCHAR NOT NULL, key_slots VARCHAR NOT NULL);`,
  },
];

/** Which hot slots get distinct-key rows. */
export interface KeySlotPolicy {
  /** Most distinct texts (approximately) a slot may have. */
  maxValues: number;
  /** Also slots holding numbers (which get sums anyway). */
  numbers: boolean;
}

/**
 * Key rows cost about one row per event for a property that varies per event, so only text
 * slots with few values get them (7 key slots, numbers and a 45-value id included, took 104 s
 * CPU to build at 20M events under load).
 */
export const DEFAULT_KEY_SLOTS: KeySlotPolicy = { maxValues: 32, numbers: false };

export interface RollupPolicy {
  /** No summaries before the store holds this many events (below it, aggregating the events is cheap). */
  minRows: number;
  /** Rebuilt once the events added since the last build are this share of the rows it covered. */
  staleShare: number;
  /**
   * A rebuild waits at least this many times the previous build's duration (in this process)
   * after that build finished, so summaries take at most about 1/(spacing + 1) of the background
   * time. Under heavy ingestion they go 10 % stale at every reorganization, and rebuilding each
   * time read the whole table every few seconds, next to the sorts, on the same cores as the
   * requests. Stale summaries are never wrong, only less useful. Absent: no wait.
   */
  spacing?: number;
}

export const DEFAULT_ROLLUP_POLICY: RollupPolicy = { minRows: 200_000, staleShare: 0.1, spacing: 10 };

const col = (kind: 'sum' | 'cnt' | 'min' | 'max', slot: number) => `${kind}${slot}`;

export class RollupState {
  constructor(
    readonly seq: number,
    /** Events the build read (events are never deleted, so the count since is the growth). */
    readonly covered: number,
    readonly numSlots: readonly number[],
    readonly keySlots: readonly number[],
  ) {}

  static async load(c: SerialConnection): Promise<RollupState | undefined> {
    const [r] = await c.rows<{ upto_seq: bigint; covered: bigint; num_slots: string; key_slots: string }>('SELECT * FROM event_rollup_state');
    return r && new RollupState(Number(r.upto_seq), Number(r.covered), JSON.parse(r.num_slots), JSON.parse(r.key_slots));
  }

  /** For the cohort compiler (CompileContext.rollup), with the paths of the hot columns now. */
  forCompiler(hot: HotColumns): EventRollup {
    const path = (slot: number) => hot.slots.find((s) => s.slot === slot)!.path;
    return {
      seq: this.seq,
      table: 'event_rollup',
      keysTable: 'event_rollup_keys',
      merges: 'person_merges',
      numbers: this.numSlots.map((s) => ({ path: path(s), sum: col('sum', s), count: col('cnt', s), min: col('min', s), max: col('max', s) })),
      keys: this.keySlots.map((s) => ({ path: path(s), slot: s })),
    };
  }

  /** Worth rebuilding: the events now (`rows`) outgrew what it covers (a new hot slot also rebuilds it, see the reorganizer). */
  stale(rows: number, policy: RollupPolicy): boolean {
    return rows - this.covered >= Math.max(1, policy.staleShare * this.covered);
  }
}

export type SlotStats = Record<string, bigint | number | null>;

/**
 * What decides which slots the summaries have, of the events matching `where`: the rows and
 * their people (`rows`, `min_uid`, `max_uid`), per slot the values that are numbers (`n<slot>`)
 * and, for slots that may get key rows, the approximate count of distinct texts (`d<slot>`).
 * Two scans: the counts cost next to nothing, the distinct texts a hash of every text, which a
 * slot holding numbers skips (it gets no key rows unless the policy wants numbers keyed).
 */
export async function slotStats(bg: SerialConnection, hot: HotColumns, where: string, params: unknown[], keyPolicy: KeySlotPolicy): Promise<SlotStats> {
  const counts = hot.slots.map((s) => `, count(hot${s.slot}_num) AS n${s.slot}`).join('');
  const [stats] = await bg.rows<SlotStats>(`SELECT count(*) AS rows, min(uid) AS min_uid, max(uid) AS max_uid${counts} FROM events_all WHERE ${where}`, params);
  const texts = hot.slots.filter((s) => keyPolicy.numbers || Number(stats[`n${s.slot}`]) === 0);
  if (!texts.length || Number(stats.rows) === 0) return stats;
  const distinct = texts.map((s) => `approx_count_distinct(hot${s.slot}_text) AS d${s.slot}`).join(', ');
  const [d] = await bg.rows<SlotStats>(`SELECT ${distinct} FROM events_all WHERE ${where}`, params);
  return { ...stats, ...d };
}

/** Slots holding numbers (sums etc.), and text slots with at most `maxValues` (approximate) texts for key rows. */
export function chooseSlots(hot: HotColumns, stats: SlotStats, keyPolicy: KeySlotPolicy, maxValues = keyPolicy.maxValues): { numSlots: number[]; keySlots: number[] } {
  const numSlots = hot.slots.filter((s) => Number(stats[`n${s.slot}`]) > 0).map((s) => s.slot);
  const keySlots = hot.slots
    .filter((s) => (keyPolicy.numbers || !numSlots.includes(s.slot)) && Number(stats[`d${s.slot}`] ?? 0) > 0 && Number(stats[`d${s.slot}`]) <= maxValues)
    .map((s) => s.slot);
  return { numSlots, keySlots };
}

/** The `event_rollup` rows of the events matching `where` (the caller adds `ORDER BY`). */
export function rollupRowsSql(numSlots: readonly number[], where: string): string {
  const aggs = numSlots.flatMap((s) => [
    `sum(hot${s}_num) AS ${col('sum', s)}`,
    `count(hot${s}_num) AS ${col('cnt', s)}`,
    `min(hot${s}_num) AS ${col('min', s)}`,
    `max(hot${s}_num) AS ${col('max', s)}`,
  ]);
  return `SELECT event, uid, count(*) AS n, max(ts) AS max_ts${aggs.map((a) => ', ' + a).join('')} FROM events_all WHERE ${where} GROUP BY event, uid`;
}

/** The `event_rollup` columns a slot holding numbers adds, with their types (what the aggregates give). */
export const numberColumns = (slot: number) =>
  [`${col('sum', slot)} DOUBLE`, `${col('cnt', slot)} BIGINT DEFAULT 0`, `${col('min', slot)} DOUBLE`, `${col('max', slot)} DOUBLE`];

/**
 * The `event_rollup_keys` rows of the events matching `where` (with its params), or undefined
 * without key slots: the key each row of a slot has, as the compiled rule computes it
 * (distinctKeyOfText of the typed text), and the latest ts per (event, slot, uid, key).
 */
export function keyRowsSql(hot: HotColumns, keySlots: readonly number[], where: string, whereParams: unknown[]): { text: string; params: unknown[] } | undefined {
  if (!keySlots.length) return undefined;
  const parts = keySlots.map((s) => {
    const key = duckdbDialect.distinctKeyOfText(new Sql(`hot${s}_text`), duckdbDialect.jsonDistinctKey(new Sql('props'), hot.slots.find((x) => x.slot === s)!.path));
    return { text: `SELECT event, ${s} AS slot, uid, ${key.text} AS key, ts FROM events_all WHERE ${where} AND hot${s}_text IS NOT NULL`, params: [...key.params, ...whereParams] };
  });
  return {
    text: `SELECT event, slot, uid, key, max(ts) AS max_ts FROM (${parts.map((p) => p.text).join(' UNION ALL ')}) GROUP BY event, slot, uid, key`,
    params: parts.flatMap((p) => p.params),
  };
}

export const EMPTY_KEYS_TABLE = '(event VARCHAR, slot INTEGER, uid INTEGER, key VARCHAR, max_ts TIMESTAMP)';

/**
 * Builds `event_rollup_next` and `event_rollup_keys_next` from the events with seq <= upTo
 * (on the background connection; the caller swaps them in with `adoptRollup`).
 */
export async function buildRollup(bg: SerialConnection, hot: HotColumns, upTo: number, keyPolicy = DEFAULT_KEY_SLOTS): Promise<RollupState> {
  const stats = await slotStats(bg, hot, 'seq <= ?', [upTo], keyPolicy);
  const { numSlots, keySlots } = chooseSlots(hot, stats, keyPolicy);
  await bg.run('DROP TABLE IF EXISTS event_rollup_next');
  await bg.run('DROP TABLE IF EXISTS event_rollup_keys_next');
  await bg.run(`CREATE TABLE event_rollup_next AS ${rollupRowsSql(numSlots, 'seq <= ?')} ORDER BY event, uid`, [upTo]);
  const keys = keyRowsSql(hot, keySlots, 'seq <= ?', [upTo]);
  if (keys) await bg.run(`CREATE TABLE event_rollup_keys_next AS ${keys.text} ORDER BY event, slot, max_ts`, keys.params);
  else await bg.run(`CREATE TABLE event_rollup_keys_next ${EMPTY_KEYS_TABLE}`);
  return new RollupState(upTo, Number(stats.rows), numSlots, keySlots);
}

/** In the hand-over transaction: the built tables replace the current ones, and the state says what they cover. */
export async function adoptRollup(c: DuckDBConnection, next: RollupState): Promise<void> {
  await c.run('DROP TABLE IF EXISTS event_rollup');
  await c.run('DROP TABLE IF EXISTS event_rollup_keys');
  await c.run('ALTER TABLE event_rollup_next RENAME TO event_rollup');
  await c.run('ALTER TABLE event_rollup_keys_next RENAME TO event_rollup_keys');
  await c.run('DELETE FROM event_rollup_state');
  await c.run('INSERT INTO event_rollup_state VALUES (?, ?, ?, ?)', [next.seq, next.covered, JSON.stringify(next.numSlots), JSON.stringify(next.keySlots)]);
}
