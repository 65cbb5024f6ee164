/**
 * What the analytics compiler needs of an engine beyond the cohort dialect:
 * calendar buckets as epoch milliseconds and common table expressions that
 * are computed once however often a query reads them.
 */
import type { Sql, SqlDialect } from '../cohort/dialect.js';
import type { Interval } from '../schemas/analytics.js';

export interface AnalyticsDialect {
  readonly base: SqlDialect;
  /** Epoch milliseconds (a 64-bit integer) of the start of the UTC bucket holding ts; weeks start on Monday. */
  bucketMs(ts: Sql, interval: Interval): Sql;
  /** Epoch milliseconds (a 64-bit integer) of a timestamp. */
  epochMs(ts: Sql): Sql;
  /** A bound 64-bit integer. */
  bigint(n: number): Sql;
  /** Integer division of 64-bit integers, rounding down. */
  intDiv(a: Sql, b: Sql): Sql;
  /** `name AS (query)` in a WITH list, evaluated once. `name` is a constant of the compiler. */
  cte(name: string, query: Sql): Sql;
  /**
   * Set when the engine writes the chart shapes its own way (ClickHouse 18.16 has no CTEs
   * of queries, no joins on inequalities, one join per SELECT, no `true`); the compiler's
   * own shapes (DuckDB's) stand where a dialect has none.
   */
  readonly shapes?: ChartShapes;
}

/** Named parts of a chart query (see AnalyticsDialect.shapes). */
export interface ChartShapes {
  /** A condition that always holds. */
  always: Sql;
  /** How a chart reads its named parts: the subquery itself, in parentheses, at every reference (no WITH). */
  inline: true;
  /**
   * The next funnel step: (uid, t1, t = its earliest event) from `events` rows `e` meeting
   * `where`, strictly after `prev`'s t and at or before `limit(prev's t1)`, per (uid, t1).
   */
  funnelStep(events: Sql, prev: Sql, where: Sql, limit: (t1: Sql) => Sql): Sql;
  /** (uid, reached): the furthest of `steps` (each a subset of the previous one) holding each uid of steps[0]. */
  reach(steps: Sql[]): Sql;
  /**
   * Distinct (uid, n) of the `events` rows `e` meeting `where` at or after the uid's start t0
   * in `starts` (uid, t0, b), with `before(ts, b)` true; n = `period(ts, b)`.
   */
  returns(events: Sql, starts: Sql, where: Sql, before: (ts: Sql, b: Sql) => Sql, period: (ts: Sql, b: Sql) => Sql): Sql;
}
