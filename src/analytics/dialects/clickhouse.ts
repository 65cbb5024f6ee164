/**
 * ClickHouse dialect of the analytics compiler (see AnalyticsDialect). Its SQL runs
 * on Debian's 18.16 and on current releases, so, as the cohort dialect's, it has no
 * CTEs of queries (named parts are subqueries at each reference), no joins on
 * inequalities (equi-joins on uid, the order tested in WHERE), one join per SELECT,
 * and no boolean literals. Timestamps are Int64 microseconds (clickhouse-time.ts);
 * the columns a joined subquery hands on get names of their own (p_t1, r_ts), as
 * 18.16 resolves neither qualified right-hand columns nor aliases equal to a column.
 */
import { clickhouseDialect } from '../../cohort/dialects/clickhouse.js';
import { bind, joinSql, scanPerson, Sql, sql } from '../../cohort/dialect.js';
import type { AnalyticsDialect, ChartShapes } from '../analytics-dialect.js';

const raw = (text: string) => new Sql(text);
/** Rows' person, mapped in each scan after its WHERE (the cohort dialect's PersonScan). */
const { pre, uid } = scanPerson(clickhouseDialect);

const shapes: ChartShapes = {
  always: raw('1'),
  inline: true,
  funnelStep(events, prev, where, limit) {
    return sql`SELECT uid, p_t1 AS t1, min(s_ts) AS t FROM (${pre}SELECT ${uid}, e.ts AS s_ts FROM ${events} AS e WHERE ${where}) AS s
      ALL INNER JOIN (SELECT uid, t1 AS p_t1, t AS p_t FROM ${prev}) AS p USING uid
      WHERE s_ts > p_t AND s_ts <= ${limit(raw('p_t1'))} GROUP BY uid, p_t1`;
  },
  reach(steps) {
    // Each step's set is a subset of the previous one: the furthest is the highest step holding the uid.
    const parts = steps.map((f, k) => sql`SELECT uid, toUInt8(${raw(String(k + 1))}) AS step FROM ${f}`);
    return sql`SELECT uid, max(step) AS reached FROM (${joinSql(parts, ' UNION ALL ')}) GROUP BY uid`;
  },
  returns(events, starts, where, before, period) {
    const [ts, b] = [raw('r_ts'), raw('b')];
    return sql`SELECT DISTINCT uid, ${period(ts, b)} AS n FROM (${pre}SELECT ${uid}, e.ts AS r_ts FROM ${events} AS e WHERE ${where}) AS r
      ALL INNER JOIN (SELECT uid, t0, b FROM ${starts}) AS s USING uid
      WHERE r_ts >= t0 AND ${before(ts, b)}`;
  },
};

export const clickhouseAnalyticsDialect: AnalyticsDialect = {
  base: clickhouseDialect,
  // Weeks start on Monday (the cohort dialect's calendar periods); microseconds to milliseconds.
  bucketMs: (ts, interval) => sql`intDiv(${clickhouseDialect.calendarPeriodStart(ts, interval)}, 1000)`,
  epochMs: (ts) => sql`intDiv(${ts}, 1000)`,
  bigint(n) {
    if (!Number.isSafeInteger(n)) throw new Error('not a safe integer');
    return sql`toInt64(${bind(n)})`;
  },
  // intDiv truncates toward zero; the contract rounds down.
  intDiv: (a, b) => sql`(intDiv(${a}, ${b}) - ((${a}) % (${b}) < 0))`,
  cte() {
    throw new Error('ClickHouse charts read their parts inline (shapes.inline): there is no CTE to write');
  },
  shapes,
};
