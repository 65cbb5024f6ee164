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
}
