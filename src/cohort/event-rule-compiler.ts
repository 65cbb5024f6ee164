/**
 * SQL for the rules about a user's matching events that cohort-compiler.ts hands over:
 * `event` (counts, days, aggregates), `first_time` and `sequence`, plus the windows they
 * share. Each returns the rule's set (before its negate) in the compiler's two forms:
 * `pos` (the rows of the query) or `neg` (the universe minus them).
 */
import type { Compare, Duration, Filter, Rule, Step, Window } from '../schemas/definition';
import { bind, joinSql, scanPerson, Sql, sql, type EventRollup, type JsonKind, type SqlDialect } from './dialect';
import { atLeastOne, compareHolds, instant } from './compile-helpers';
import { rollupRule } from './rollup-rules';

export interface SetExpr {
  /** true: members = universe minus the rows of `query`. */
  neg: boolean;
  /** A SELECT returning distinct `uid`. */
  query: Sql;
  /**
   * The same set as a SELECT that may repeat a `uid`, for semi / anti joins only:
   * the hash join dedups for free, so "did the event at least once" skips the GROUP BY.
   */
  inQuery?: Sql;
}

/** A property value as the predicates read it: from JSON, or from typed columns where the store keeps them. */
export interface PropValue {
  text: Sql;
  number: Sql;
  is(kind: JsonKind): Sql;
  distinctKey: Sql;
  /** Text and number are plain columns: test them before anything that parses JSON. */
  typed: boolean;
}

export const raw = (text: string) => new Sql(text);

/** `expr` compared as `c` says (counts, aggregates, numeric filters). */
export function compareSql(expr: Sql, c: { op: Compare['op']; value: number | [number, number] }): Sql {
  if (c.op === 'between') {
    const [lo, hi] = c.value as [number, number];
    return sql`(${expr} BETWEEN ${bind(lo)} AND ${bind(hi)})`;
  }
  const sym = { eq: '=', neq: '<>', gt: '>', gte: '>=', lt: '<', lte: '<=' }[c.op];
  return sql`(${expr} ${raw(sym)} ${bind(c.value as number)})`;
}

/** What the event rules need from the cohort compiler. */
export interface EventRuleParts {
  d: SqlDialect;
  /** The events table. */
  events: Sql;
  /** asOf as a timestamp. */
  asOf: Sql;
  /** Conditions every matching event row `alias` meets: name, not after asOf, filters. */
  conditions(alias: Sql, event: string, where: Filter[] | undefined, whereMatch: 'all' | 'any' | undefined): Sql[];
  /** The event property at path of the events row `alias`. */
  value(alias: Sql, path: string[]): PropValue;
  /** The store's per-(event, person) summaries, when it keeps them. */
  rollup?: EventRollup;
}

export class EventRuleCompiler {
  /** Each scan's person (the row's key, or the person it was merged into: dialect.ts PersonScan). */
  private readonly person;

  constructor(private readonly p: EventRuleParts) {
    // The compiler's own join shapes (SEMI JOIN on e.uid, sequences) read rows' keys as people.
    if (p.d.personScan && !p.d.shapes) throw new Error('a dialect with a PersonScan writes its own query shapes');
    this.person = scanPerson(p.d);
  }

  eventRule(rule: Extract<Rule, { type: 'event' }>): SetExpr {
    const { d, events } = this.p;
    const where = [
      ...this.p.conditions(raw('e'), rule.event, rule.where, rule.whereMatch),
      ...this.windowConditions(raw('e.ts'), rule.window),
    ];
    const count: Compare = rule.count ?? { op: 'gte', value: 1 };
    const countExpr = rule.countBy === 'days' ? sql`count(DISTINCT ${d.utcDay(raw('e.ts'))})` : raw('count(*)');
    const { pre, key: person, uid } = this.person;
    const base = (having: Sql) => sql`${pre}SELECT ${uid} FROM ${events} e WHERE ${joinSql(where, ' AND ')} GROUP BY ${person} HAVING ${having}`;
    if (rule.aggregate) {
      const exact = (restrict = raw('')) => this.aggregate(rule, where, countExpr, count, restrict);
      // The store's summaries answer it where they are exact (rollup-rules.ts); the events for the rest.
      const summed = this.p.rollup && !d.shapes
        ? rollupRule(rule, { rollup: this.p.rollup, events, asOf: this.p.asOf, window: (ts, w) => this.windowConditions(ts, w), exact })
        : undefined;
      return { neg: false, query: summed ?? exact() };
    }
    if (!compareHolds(0, count)) {
      const query = base(compareSql(countExpr, count));
      // "At least one matching event" (or day: the same users) needs no count where only IN reads it.
      if (!atLeastOne(count)) return { neg: false, query };
      return { neg: false, query, inQuery: sql`${pre}SELECT ${uid} FROM ${events} e WHERE ${joinSql(where, ' AND ')}` };
    }
    // The comparison holds at zero (lt 3, eq 0, ...): members are the universe minus those for whom it fails.
    return { neg: true, query: base(sql`NOT (${compareSql(countExpr, count)})`) };
  }

  /** An aggregate rule over the events, of the people `restrict` (a join clause on `e`) keeps when given. */
  private aggregate(rule: Extract<Rule, { type: 'event' }>, where: Sql[], countExpr: Sql, count: Compare, restrict: Sql): Sql {
    const { events } = this.p;
    const { pre, key: person, uid } = this.person;
    const agg = rule.aggregate!;
    const v = this.p.value(raw('e'), agg.property.split('.'));
    let cond: Sql;
    if (agg.fn === 'distinct') {
      const key = v.distinctKey;
      if (rule.countBy !== 'days') {
        // Two steps: distinct (uid, key) pairs with their event counts, then per uid. Cheaper
        // than count(DISTINCT) inside one GROUP BY uid, which keeps a set per group.
        // Restricted to a few people (the summaries' changed ones), the pairs are few already.
        const cand = restrict.text ? { join: raw(''), where: [] } : this.distinctCandidates(where, v, agg);
        const pairs = sql`${pre}SELECT ${uid}, ${key} AS kohort_k, count(*) AS kohort_n FROM ${events} e${restrict}${cand.join} WHERE ${joinSql([...where, ...cand.where], ' AND ')} GROUP BY ${person}, kohort_k`;
        const k = raw('kohort_k');
        return sql`SELECT uid FROM (${pairs}) GROUP BY uid HAVING ${compareSql(raw('sum(kohort_n)'), count)} AND count(${k}) > 0 AND ${compareSql(sql`count(${k})`, agg)}`;
      }
      cond = sql`(count(${key}) > 0 AND ${compareSql(sql`count(DISTINCT ${key})`, agg)})`;
    } else {
      // avg over a DOUBLE is sum / count of the non-NULL values, NULL when there are none: one state, not two.
      cond = compareSql(sql`${raw(agg.fn)}(${v.number})`, agg);
    }
    // Users without matching events never satisfy an aggregate, so no complement is needed; every
    // group has a row, so the default count (at least one event) is no condition at all.
    const having = rule.count === undefined && rule.countBy !== 'days' ? cond : sql`${compareSql(countExpr, count)} AND ${cond}`;
    return sql`${pre}SELECT ${uid} FROM ${events} e${restrict} WHERE ${joinSql(where, ' AND ')} GROUP BY ${person} HAVING ${having}`;
  }

  /**
   * For `distinct >= L` (L >= 2): a semi join keeping only the people with at least L matching
   * events that have the property, found by one GROUP BY on the integer uid. Having L distinct
   * values needs L such events, so the answer is the same; the costly (uid, key) pairs are then
   * built for those people only (most people have few events in a window). Empty when no bound helps.
   */
  private distinctCandidates(where: Sql[], v: PropValue, agg: Compare): { join: Sql; where: Sql[] } {
    // The least count of distinct values the comparison accepts (counts are whole numbers).
    let least = 0;
    while (least <= 64 && !compareHolds(least, agg)) least++;
    if (least < 2) return { join: raw(''), where: [] };
    // A key is NULL wherever the text is (the typed test is a plain column); else count every row.
    const keyed = v.typed ? [sql`${v.text} IS NOT NULL`] : [];
    const { pre, key: person, uid } = this.person;
    const people = sql`${pre}SELECT ${uid} FROM ${this.p.events} e WHERE ${joinSql([...where, ...keyed], ' AND ')} GROUP BY ${person} HAVING count(*) >= ${bind(least)}`;
    // Engines with their own query shapes (ClickHouse 18.16) have no SEMI JOIN: the same filter as an IN.
    if (this.p.d.shapes) return { join: raw(''), where: [sql`${person} IN (${people})`] };
    return { join: sql` SEMI JOIN (${people}) AS kohort_c ON kohort_c.uid = e.uid`, where: [] };
  }

  /**
   * The first matching event lies in the window: one matches in the window and, when the
   * window has a start, none before it. Only the window's rows are grouped; the older rows
   * are read just for the people found there (a semi join on that small set), instead of
   * grouping every matching event ever by person to find its minimum.
   */
  firstTime(rule: Extract<Rule, { type: 'first_time' }>): Sql {
    const { events } = this.p;
    const { pre, key: person, uid } = this.person;
    const where = this.p.conditions(raw('e'), rule.event, rule.where, rule.whereMatch);
    const inWindow = sql`${pre}SELECT ${uid} FROM ${events} e WHERE ${joinSql([...where, ...this.windowConditions(raw('e.ts'), rule.window)], ' AND ')} GROUP BY ${person}`;
    const start = this.windowStart(raw('e.ts'), rule.window);
    if (!start.length) return inWindow;
    const before = sql`${raw('e.ts')} < ${this.windowStartValue(rule.window)}`;
    const shapes = this.p.d.shapes;
    if (shapes) {
      const earlier = shapes.filtered(sql`${pre}SELECT ${uid} FROM ${events} e WHERE ${joinSql([...where, before], ' AND ')}`, [inWindow], []);
      return shapes.filtered(inWindow, [], [earlier]);
    }
    const earlier = sql`SELECT e.uid FROM ${events} e SEMI JOIN (${inWindow}) AS w ON w.uid = e.uid WHERE ${joinSql([...where, before], ' AND ')}`;
    return sql`SELECT f.uid FROM (${inWindow}) AS f ANTI JOIN (${earlier}) AS x ON x.uid = f.uid`;
  }

  /** The instant a window with a lower bound starts at. */
  private windowStartValue(window: Window | undefined): Sql {
    switch (window?.type) {
      case 'last':
        return this.p.d.addInterval(this.p.asOf, -window.amount, window.unit);
      case 'since':
      case 'between':
        return this.p.d.timestamp(instant(window.from));
      default:
        throw new Error('window without a start');
    }
  }

  windowConditions(ts: Sql, window: Window | undefined): Sql[] {
    if (!window) return [];
    const d = this.p.d;
    const at = (text: string) => d.timestamp(instant(text));
    switch (window.type) {
      case 'all_time':
        return [];
      case 'last':
        return [sql`${ts} >= ${d.addInterval(this.p.asOf, -window.amount, window.unit)}`];
      case 'since':
        return [sql`${ts} >= ${at(window.from)}`];
      case 'until':
        return [sql`${ts} < ${at(window.to)}`];
      case 'between':
        return [sql`${ts} >= ${at(window.from)}`, sql`${ts} < ${at(window.to)}`];
    }
  }

  /** The window's lower bound on ts (`ts >= start`), if it has one. */
  private windowStart(ts: Sql, window: Window | undefined): Sql[] {
    if (window?.type === 'until') return [];
    return this.windowConditions(ts, window).slice(0, 1);
  }

  /**
   * Step 1 in the window, each next step strictly later. For each start the
   * earliest next step is the best choice, so chains of `min(ts)` joins decide
   * it; with `within`, every start is kept and each step must also be no later
   * than start + within.
   */
  sequence(steps: Step[], within: Duration | undefined, window: Window | undefined): Sql {
    const { d, events } = this.p;
    // Later steps are strictly after step 1, which is inside the window, so they are
    // also after its start: an implied condition that lets zonemaps skip older rows.
    const after = this.windowStart(raw('e.ts'), window);
    const stepWhere = (s: Step, extra: Sql[] = []) => joinSql([...this.p.conditions(raw('e'), s.event, s.where, s.whereMatch), ...extra], ' AND ');
    const [first, ...rest] = steps;
    const firstWhere = joinSql([stepWhere(first), ...this.windowConditions(raw('e.ts'), window)], ' AND ');
    if (d.shapes) return d.shapes.sequence(events, [firstWhere, ...rest.map((s) => stepWhere(s, after))], within);
    if (!within) {
      let prev = sql`SELECT e.uid, min(e.ts) AS t FROM ${events} e WHERE ${firstWhere} GROUP BY e.uid`;
      for (const s of rest) {
        prev = sql`SELECT e.uid, min(e.ts) AS t FROM ${events} e JOIN (${prev}) p ON e.uid = p.uid AND e.ts > p.t WHERE ${stepWhere(s, after)} GROUP BY e.uid`;
      }
      return sql`SELECT uid FROM (${prev})`;
    }
    let prev = sql`SELECT DISTINCT e.uid, e.ts AS t1, e.ts AS t FROM ${events} e WHERE ${firstWhere}`;
    for (const s of rest) {
      const limit = d.addInterval(raw('p.t1'), within.amount, within.unit);
      prev = sql`SELECT e.uid, p.t1, min(e.ts) AS t FROM ${events} e JOIN (${prev}) p ON e.uid = p.uid AND e.ts > p.t AND e.ts <= ${limit} WHERE ${stepWhere(s, after)} GROUP BY e.uid, p.t1`;
    }
    return sql`SELECT DISTINCT uid FROM (${prev})`;
  }
}
