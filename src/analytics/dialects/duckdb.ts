/** DuckDB dialect of the analytics compiler (see AnalyticsDialect). */
import { duckdbDialect } from '../../cohort/dialects/duckdb.js';
import { bind, Sql, sql } from '../../cohort/dialect.js';
import type { AnalyticsDialect } from '../analytics-dialect.js';

const NAME = /^[a-z_][a-z0-9_]*$/;

export const duckdbAnalyticsDialect: AnalyticsDialect = {
  base: duckdbDialect,
  // date_trunc('week') is the ISO week: Monday 00:00. Literal parts keep DuckDB's constant folding.
  bucketMs: (ts, interval) => sql`epoch_ms(date_trunc(${new Sql(duckdbDialect.quoteString(interval))}, ${ts}))`,
  epochMs: (ts) => sql`epoch_ms(${ts})`,
  bigint(n) {
    if (!Number.isSafeInteger(n)) throw new Error('not a safe integer');
    return sql`CAST(${bind(n)} AS BIGINT)`;
  },
  intDiv: (a, b) => sql`(${a} // ${b})`,
  cte(name, query) {
    if (!NAME.test(name)) throw new Error(`invalid CTE name ${name}`);
    return sql`${new Sql(name)} AS MATERIALIZED (${query})`;
  },
};
