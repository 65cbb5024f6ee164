import type { DuckDBConnection } from '@duckdb/node-api';
import type { MaterializedProperty } from '../../cohort/dialect.js';
import { duckdbMaterialized } from '../../cohort/dialects/duckdb.js';
import { sortedViewStatements } from './sorted-events.js';

/**
 * Hot property columns: the most frequent scalar event property paths are kept
 * in typed columns of `events` beside `props` (`hot<slot>_text` VARCHAR,
 * `hot<slot>_num` DOUBLE), holding exactly what the cohort dialect's JSON
 * expressions compute (see `duckdbMaterialized`), so a cohort query reads a
 * column instead of decompressing and parsing the JSON of every candidate row.
 *
 * - Rows entering `events` (the reorganizer's sorted runs and rewrites) get
 *   every slot's columns computed in the same statement.
 * - `events_tail` keeps the plain layout (appenders write it); the
 *   `events_all` view computes the same expressions for its rows.
 * - New slots arrive with a rebuild of `events` made by the reorganizer on its
 *   background connection and swapped in at its hand-over, so a slot exists
 *   only once every row has it (an ALTER plus back-fill UPDATEs measured ~20x
 *   slower on 20M rows, and ALTER holds the writer).
 * Slots are never dropped: the set only grows, up to `maxSlots`.
 */
export const BASE_COLUMNS = 'seq, uid, event, ts, props, received_at, message_id';

export interface HotSlot {
  slot: number;
  path: string[];
}

export interface HotPolicy {
  /** Most slots ever kept. Each one costs an extraction per row as rows enter `events`. */
  maxSlots: number;
  /** A path becomes hot once events of names that carry it are at least this share of all events. */
  minShare: number;
  /**
   * No slot before the store holds this many events: below it a JSON scan is
   * cheap anyway (~20 ms for the brief's example at 2M rows), while keeping the
   * columns costs ingestion (the reorganizer rewrites small tables whole).
   */
  minRows?: number;
}

/**
 * Eight slots: on the demo shop's events that covers every property on 5% of the
 * rows but two ids and a currency (numbers go first, see `next`). From 200k rows on,
 * reading a column beats parsing JSON by far more than the columns cost to fill.
 */
export const DEFAULT_HOT_POLICY: HotPolicy = { maxSlots: 8, minShare: 0.05, minRows: 200_000 };

const textColumn = (slot: number) => `hot${slot}_text`;
const numberColumn = (slot: number) => `hot${slot}_num`;
const LIST = 'kohort_hot';
const CAST = 'kohort_cast';

export class HotColumns {
  constructor(readonly slots: readonly HotSlot[]) {}

  static async load(c: DuckDBConnection): Promise<HotColumns> {
    const rows = (await c.runAndReadAll('SELECT slot, path FROM hot_properties ORDER BY slot')).getRowObjects();
    return new HotColumns(rows.map((r) => ({ slot: Number(r.slot), path: JSON.parse(String(r.path)) as string[] })));
  }

  /** For the cohort compiler. */
  materialized(): MaterializedProperty[] {
    return this.slots.map((s) => ({ path: s.path, text: textColumn(s.slot), number: numberColumn(s.slot) }));
  }

  /** `events` columns in table order (base columns, then each slot's). */
  allColumns(): string {
    return [BASE_COLUMNS, ...this.slots.flatMap((s) => [textColumn(s.slot), numberColumn(s.slot)])].join(', ');
  }

  /**
   * A SELECT of the base columns of `source` (a table, or a parenthesized
   * query with an alias) plus every slot's values computed from `props`.
   * One JSON parse per row extracts all slots' texts.
   */
  withValues(source: string, where = ''): string {
    if (!this.slots.length) return `SELECT ${BASE_COLUMNS} FROM ${source} ${where}`;
    const texts = duckdbMaterialized.texts('props', this.slots.map((s) => s.path));
    // Texts, and each one's cast once, in inner projections; the numeric rule reads both.
    const inner = this.slots.map((s, i) => `${LIST}[${i + 1}] AS ${textColumn(s.slot)}`);
    const casts = this.slots.map((s) => `${duckdbMaterialized.castOf(textColumn(s.slot))} AS ${CAST}${s.slot}`);
    const values = this.slots.map(
      (s) => `${textColumn(s.slot)}, ${duckdbMaterialized.numberFromText(textColumn(s.slot), `${CAST}${s.slot}`)} AS ${numberColumn(s.slot)}`,
    );
    return (
      `SELECT ${BASE_COLUMNS}, ${values.join(', ')} FROM (` +
      `SELECT *, ${casts.join(', ')} FROM (` +
      `SELECT ${BASE_COLUMNS}, ${inner.join(', ')} FROM (SELECT ${BASE_COLUMNS}, ${texts} AS ${LIST} FROM ${source} ${where})))`
    );
  }

  /** The view every reader uses: sorted rows with stored values, fresh rows with computed ones. */
  viewSql(): string {
    return `CREATE OR REPLACE VIEW events_all AS SELECT ${this.allColumns()} FROM events UNION ALL ${this.withValues('events_tail')}`;
  }

  /**
   * This set plus slots for frequent scalar paths not yet hot, or this set
   * when none qualifies. Paths seen with numbers go first: aggregates and
   * comparisons read them, and parsing a number out of JSON costs the most. Frequency: rows of the event names the catalog has
   * seen with the path, from per-name counts (no JSON is read).
   */
  async next(c: DuckDBConnection, policy: HotPolicy): Promise<HotColumns> {
    const free = policy.maxSlots - this.slots.length;
    if (free <= 0) return this;
    const rows = (
      await c.runAndReadAll(`
        WITH n AS (SELECT event, count(*) AS n FROM events_all GROUP BY event),
             p AS (SELECT event, property, bool_or(type = 'number') AS num FROM event_properties
                    WHERE type IN ('string', 'number', 'boolean') GROUP BY event, property)
        SELECT p.property, sum(n.n) AS rows, (SELECT sum(n) FROM n) AS total, bool_or(p.num) AS num
          FROM p JOIN n USING (event) GROUP BY p.property ORDER BY num DESC, rows DESC, p.property`)
    ).getRowObjects();
    if (Number(rows[0]?.total ?? 0) < (policy.minRows ?? 0)) return this;
    const known = new Set(this.slots.map((s) => JSON.stringify(s.path)));
    const picked = rows
      .filter((r) => Number(r.rows) >= policy.minShare * Number(r.total))
      .map((r) => String(r.property).split('.'))
      .filter((path) => duckdbMaterialized.supports(path) && !known.has(JSON.stringify(path)))
      .slice(0, free);
    if (!picked.length) return this;
    let slot = Math.max(0, ...this.slots.map((s) => s.slot));
    return new HotColumns([...this.slots, ...picked.map((path) => ({ slot: ++slot, path }))]);
  }

  /** In the transaction that swapped in an `events` built with `next`'s columns: records its new slots and the view. */
  async adopt(c: DuckDBConnection, next: HotColumns): Promise<void> {
    const known = new Set(this.slots.map((s) => s.slot));
    for (const s of next.slots) {
      if (!known.has(s.slot)) await c.run('INSERT INTO hot_properties VALUES (?, ?)', [s.slot, JSON.stringify(s.path)]);
    }
    await c.run(next.viewSql());
    for (const sql of sortedViewStatements(next.allColumns())) await c.run(sql);
  }
}
