/**
 * SQL for the rules about when a user did an event over time (`regularly`,
 * `stopped`, `restarted`), following reference-recurrence.ts. Each is one
 * GROUP BY over the user's matching events; none holds for a user without
 * matching events, so each is a plain (positive) set of uids.
 *
 * Bounds are computed by the engine from asOf with the dialect's calendar
 * arithmetic, nested as the reference nests them (r = asOf - inactive, then
 * r - active), so month shifts clamp the same way windows do.
 */
import type { Duration, RecurrenceRule, RegularlyRule } from '../schemas/definition';
import { joinSql, scanPerson, Sql, sql, bind, type SqlDialect } from './dialect';

export interface RecurrenceParts {
  d: SqlDialect;
  /** The events table. */
  events: Sql;
  /** asOf as a timestamp. */
  asOf: Sql;
  /** Conditions on the events row `e`: name, ts <= asOf, where filters. */
  conditions: Sql[];
}

const minus = (d: SqlDialect, ts: Sql, dur: Duration) => d.addInterval(ts, -dur.amount, dur.unit);

/** Start of the earliest of the last `periods` periods (the one containing asOf is the last). */
export function regularlyStart(d: SqlDialect, asOf: Sql, rule: Pick<RegularlyRule, 'period' | 'periods'>): Sql {
  return d.addInterval(d.calendarPeriodStart(asOf, rule.period), -(rule.periods - 1), rule.period);
}

/** A SELECT of the distinct uids the rule holds for (before its negate). */
export function recurrenceQuery(rule: RecurrenceRule, p: RecurrenceParts): Sql {
  const { d, events, asOf } = p;
  const where = (extra: Sql[]) => joinSql([...p.conditions, ...extra], ' AND ');
  const ts = new Sql('e.ts');
  const { pre, key: person, uid } = scanPerson(d);
  switch (rule.type) {
    case 'regularly': {
      const start = regularlyStart(d, asOf, rule);
      return sql`${pre}SELECT ${uid} FROM ${events} e WHERE ${where([sql`${ts} >= ${start}`])} GROUP BY ${person} HAVING count(DISTINCT ${d.calendarPeriodStart(ts, rule.period)}) >= ${bind(rule.atLeast)}`;
    }
    case 'stopped': {
      // Among events in [r - active, asOf], the latest is before r: none in [r, asOf], one in [r - active, r).
      const r = minus(d, asOf, rule.inactive);
      return sql`${pre}SELECT ${uid} FROM ${events} e WHERE ${where([sql`${ts} >= ${minus(d, r, rule.active)}`])} GROUP BY ${person} HAVING max(${ts}) < ${r}`;
    }
    case 'restarted': {
      const b = minus(d, asOf, rule.returned);
      const a = minus(d, b, rule.inactive);
      return sql`${pre}SELECT ${uid} FROM ${events} e WHERE ${where([])} GROUP BY ${person} HAVING max(${ts}) >= ${b} AND min(${ts}) < ${a} AND sum(CASE WHEN ${ts} >= ${a} AND ${ts} < ${b} THEN 1 ELSE 0 END) = 0`;
    }
  }
}
