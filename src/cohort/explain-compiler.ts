/**
 * Compiles "why is this user (not) in the cohort?" to one query for one user.
 *
 * Every rule's result is membership of the user in the set that the cohort
 * compiler builds for that very rule (compiled alone, negate included), so it
 * is exactly what the evaluation used. Groups and the whole definition combine
 * their rules' results as the compiler combines their sets (intersection for
 * `all`, union for `any`, complement for negate), so no rule is run twice.
 * Counts, aggregates and the matching events are read with the compiler's own
 * event conditions.
 *
 * Rows of the query: `(k, r, c, a, v, event, ts, props)`. Each rule k other
 * than a group has one summary row (r: member, c: count, a: aggregate, v:
 * property value as text) and up to EXPLAIN_EVENT_LIMIT event rows.
 * Every part is restricted to the user by `uid = ?`, so the store may narrow
 * its tables to the user's rows, and the events to `ExplainPlan.events`, first
 * (for speed) without changing any answer.
 */
import type { Definition, EventRule, Rule } from '../schemas/definition';
import type { Explained, ExplainedEvent } from '../schemas/cohort-insight';
import { compileDefinition, compileEventMatch, type CompileContext, type CompiledQuery, type EventMatch } from './cohort-compiler';
import { bind, joinSql, scanPerson, Sql, sql, type SqlDialect, type SqlParam } from './dialect';
import { duckdbDialect } from './dialects/duckdb';
import { regularlyStart } from './recurrence-compiler';

export const EXPLAIN_EVENT_LIMIT = 10;

export interface ExplainNode {
  k: number;
  /** "rules[0]", "rules[0].rules[2]". */
  path: string;
  rule: Rule;
  children?: ExplainNode[];
}

/** The event names the rules of `definition` read, through referenced cohorts too (sorted, distinct). */
export function eventNames(definition: Definition, ctx: Pick<CompileContext, 'resolveCohort'>): string[] {
  const names = new Set<string>();
  const seen = new Set<string>();
  const walk = (rules: Rule[]) => {
    for (const r of rules) {
      switch (r.type) {
        case 'group':
          walk(r.rules);
          break;
        case 'sequence':
          for (const s of r.steps) names.add(s.event);
          break;
        case 'cohort': {
          const c = ctx.resolveCohort(r.cohortId);
          if (c?.kind === 'dynamic' && !seen.has(r.cohortId)) {
            seen.add(r.cohortId);
            walk(c.definition.rules);
          }
          break;
        }
        case 'property':
          break;
        default:
          names.add(r.event);
      }
    }
  };
  walk(definition.rules);
  return [...names].sort();
}

/** One row of an explain query, typed for JavaScript. */
export interface ExplainRow {
  k: number;
  r: boolean | null;
  c: number | null;
  a: number | null;
  v: string | null;
  event: string | null;
  ts: Date | null;
  props: Record<string, unknown> | null;
}

export interface ExplainPlan {
  query: CompiledQuery;
  /**
   * Every event name the query reads, referenced cohorts included: the store
   * may narrow the events it reads to these (the sorted layout skips the rest).
   */
  events: string[];
  /** The definition's rules. */
  nodes: ExplainNode[];
}

const raw = (text: string) => new Sql(text);
const NULLS = raw('NULL AS event, NULL AS ts, NULL AS props');

export function compileExplain(definition: Definition, uid: number, ctx: CompileContext, d: SqlDialect = duckdbDialect): ExplainPlan {
  const parts: Sql[] = [];
  const events = raw(d.tables.events);
  const asOf = d.timestamp(ctx.asOf);
  const k = (n: number) => sql`CAST(${bind(n)} AS INTEGER)`;
  const person = scanPerson(d);
  const forUser = (conds: Sql[]) => joinSql([...conds, sql`${person.of} = ${bind(uid)}`], ' AND ');
  const match = (m: EventMatch) => compileEventMatch(m, ctx, d);
  const scalar = (expr: Sql, conds: Sql[]) => sql`(${person.pre}SELECT ${expr} FROM ${events} e WHERE ${forUser(conds)})`;

  const member = (def: Definition) => {
    const q = compileDefinition(def, ctx, d);
    const set = new Sql(q.sql, q.params as SqlParam[]);
    if (d.shapes?.has) return d.shapes.has(set, bind(uid));
    return sql`EXISTS (SELECT 1 FROM (${set}) AS m WHERE m.uid = ${bind(uid)})`;
  };
  const summary = (n: number, def: Definition, c: Sql = raw('NULL'), a: Sql = raw('NULL'), v: Sql = raw('NULL')) =>
    parts.push(sql`SELECT ${k(n)} AS k, ${member(def)} AS r, ${c} AS c, ${a} AS a, ${v} AS v, ${NULLS}`);
  const eventRows = (n: number, conds: Sql[], newestFirst = true) => {
    const order = newestFirst ? raw('e.ts DESC, e.seq DESC') : raw('e.ts, e.seq');
    parts.push(
      sql`SELECT * FROM (${person.pre}SELECT ${k(n)} AS k, NULL AS r, NULL AS c, NULL AS a, NULL AS v, e.event AS event, e.ts AS ts, e.props AS props FROM ${events} e WHERE ${forUser(conds)} ORDER BY ${order} LIMIT ${bind(EXPLAIN_EVENT_LIMIT)}) AS x${raw(String(n))}`,
    );
  };

  const aggregateOf = (rule: EventRule, conds: Sql[]): Sql => {
    const value = aggregateValue(rule, conds);
    return d.shapes?.toDouble ? d.shapes.toDouble(value) : value;
  };
  const aggregateValue = (rule: EventRule, conds: Sql[]): Sql => {
    const agg = rule.aggregate!;
    const path = agg.property.split('.');
    const props = raw('e.props');
    if (agg.fn === 'distinct') {
      const key = d.jsonDistinctKey(props, path);
      return scalar(sql`CASE WHEN count(${key}) > 0 THEN count(DISTINCT ${key}) END`, conds);
    }
    const num = d.jsonNumber(props, path);
    return scalar(agg.fn === 'avg' ? sql`(sum(${num}) / count(${num}))` : sql`${raw(agg.fn)}(${num})`, conds);
  };

  let next = 1;
  const node = (rule: Rule, path: string): ExplainNode => {
    const n = next++;
    const self = { match: 'all' as const, rules: [rule] };
    switch (rule.type) {
      case 'group':
        // Its result follows from its rules' as the compiler combines sets (all: and, any: or, then negate).
        return { k: n, path, rule, children: rule.rules.map((r, i) => node(r, `${path}.rules[${i}]`)) };
      case 'event': {
        const conds = match(rule);
        const count = rule.countBy === 'days' ? sql`count(DISTINCT ${d.utcDay(raw('e.ts'))})` : raw('count(*)');
        summary(n, self, scalar(count, conds), rule.aggregate ? aggregateOf(rule, conds) : undefined);
        eventRows(n, conds);
        break;
      }
      case 'first_time':
        summary(n, self);
        eventRows(n, match({ event: rule.event, where: rule.where, whereMatch: rule.whereMatch }), false);
        break;
      case 'sequence': {
        summary(n, self);
        const steps = rule.steps.map((s) => sql`(${joinSql(match(s), ' AND ')})`);
        eventRows(n, [sql`(${joinSql(steps, ' OR ')})`]);
        break;
      }
      case 'regularly': {
        const conds = [...match(rule), sql`e.ts >= ${regularlyStart(d, asOf, rule)}`];
        summary(n, self, scalar(sql`count(DISTINCT ${d.calendarPeriodStart(raw('e.ts'), rule.period)})`, conds));
        eventRows(n, conds);
        break;
      }
      case 'stopped':
      case 'restarted':
        summary(n, self);
        eventRows(n, match(rule));
        break;
      case 'property': {
        const [key, ...rest] = rule.property.split('.');
        const value = sql`(SELECT ${d.jsonText(raw('tr.value'), rest)} FROM ${d.currentTraits(bind(key), asOf)} AS tr WHERE tr.uid = ${bind(uid)})`;
        summary(n, self, undefined, undefined, value);
        break;
      }
      case 'cohort':
        summary(n, self);
        break;
    }
    return { k: n, path, rule };
  };

  const nodes = definition.rules.map((r, i) => node(r, `rules[${i}]`));
  const q = joinSql(parts, ' UNION ALL ');
  return { query: { sql: q.text, params: [...q.params] }, nodes, events: eventNames(definition, ctx) };
}

/** Event rows sorted as the rule reads them: the first ever for first_time, the latest otherwise. */
function eventsOf(rule: Rule, rows: ExplainRow[]): ExplainedEvent[] {
  const oldestFirst = rule.type === 'first_time';
  return rows
    .filter((r) => r.event !== null && r.ts !== null)
    .sort((a, b) => (oldestFirst ? 1 : -1) * (a.ts!.getTime() - b.ts!.getTime()))
    .map((r) => ({ event: r.event!, timestamp: r.ts!.toISOString(), properties: r.props ?? {} }));
}

const EVENT_TYPES = new Set(['event', 'first_time', 'sequence', 'regularly', 'stopped', 'restarted']);

/** The answer of an explain query: the definition's and every rule's result, with their counts and events. */
export function assembleExplanation(definition: Definition, nodes: ExplainNode[], rows: ExplainRow[]): { member: boolean; rules: Explained[] } {
  const summary = new Map<number, ExplainRow>();
  const events = new Map<number, ExplainRow[]>();
  for (const r of rows) {
    if (r.event === null) summary.set(r.k, r);
    else events.set(r.k, [...(events.get(r.k) ?? []), r]);
  }
  const combine = (match: 'all' | 'any', parts: Explained[]) => (match === 'all' ? parts.every((p) => p.result) : parts.some((p) => p.result));
  const explained = (n: ExplainNode): Explained => {
    const rule = n.rule;
    if (rule.type === 'group') {
      const rules = n.children!.map(explained);
      return { path: n.path, type: rule.type, result: combine(rule.match, rules) !== (rule.negate === true), negate: rule.negate === true, rules };
    }
    const s = summary.get(n.k);
    if (!s || s.r === null) throw new Error(`explain: no result for ${n.path}`);
    const out: Explained = { path: n.path, type: rule.type, result: s.r, negate: rule.negate === true };
    if (rule.type === 'event' || rule.type === 'regularly') out.count = s.c ?? 0;
    if (rule.type === 'event' && rule.aggregate) out.aggregate = { fn: rule.aggregate.fn, property: rule.aggregate.property, value: s.a };
    if (EVENT_TYPES.has(rule.type)) out.events = eventsOf(rule, events.get(n.k) ?? []);
    if (rule.type === 'property') out.value = s.v;
    if (rule.type === 'cohort') out.cohortId = rule.cohortId;
    return out;
  };
  const rules = nodes.map(explained);
  return { member: combine(definition.match, rules), rules };
}
