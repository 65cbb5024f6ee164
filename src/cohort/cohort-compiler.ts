/**
 * Compiles a cohort definition to one SELECT returning the distinct `uid` of
 * the members, following the reference evaluator's reading of the spec.
 *
 * Every rule compiles to a set of uids in one of two forms: `pos` (the rule's
 * members are exactly the rows of the query) or `neg` (its members are the
 * universe minus the rows). Negation flips the form for free, groups combine
 * forms with semi / anti joins (De Morgan for `any`), and rules whose comparison
 * holds at zero (count lt 3, is_not_set) are computed as complements, so the
 * universe is only scanned when the final answer is itself a complement.
 * Hot filters stay on typed columns (`event = ?`, `ts >= ?`) for zonemap pruning.
 * The rules over a user's matching events (event, first_time, sequence) are in
 * event-rule-compiler.ts, the recurrence rules in recurrence-compiler.ts.
 */
import type { Definition, Filter, Rule, Step, Window } from '../schemas/definition';
import { CohortCycleError, UnknownCohortError, type CohortResolver } from './cohort-references';
import { bind, joinSql, Sql, sql, type EventRollup, type MaterializedProperty, type SqlDialect, type SqlParam } from './dialect';
import { duckdbDialect } from './dialects/duckdb';
import { filterCost, instant, isPlainString, numberOf } from './compile-helpers';
import { compareSql, EventRuleCompiler, raw, type PropValue, type SetExpr } from './event-rule-compiler';
import { checkedRollup } from './rollup-rules';
import { recurrenceQuery } from './recurrence-compiler';

export interface CompileContext {
  asOf: Date;
  resolveCohort: CohortResolver;
  /** Event property paths the store keeps in typed columns (read instead of parsing JSON). */
  materialized?: readonly MaterializedProperty[];
  /** Per-(event, person) summaries the store keeps (rollup-rules.ts reads them where they are exact). */
  rollup?: EventRollup;
}

export interface CompiledQuery {
  sql: string;
  params: SqlParam[];
}

/** The query of a set where it only feeds a semi / anti join. */
const forIn = (s: SetExpr) => s.inQuery ?? s.query;

const COLUMN_NAME = /^[a-z_][a-z0-9_]*$/;

export function compileDefinition(definition: Definition, ctx: CompileContext, dialect: SqlDialect = duckdbDialect): CompiledQuery {
  return new CohortCompiler(dialect, ctx).compile(definition);
}

/** Which events of a rule match: name, filters and an optional window (ts <= asOf always). */
export interface EventMatch {
  event: string;
  where?: Filter[];
  whereMatch?: 'all' | 'any';
  window?: Window;
}

/**
 * The conditions on the events row `e` that the compiled cohort query uses to
 * pick a rule's matching events (explain shows those events and their counts).
 */
export function compileEventMatch(m: EventMatch, ctx: CompileContext, dialect: SqlDialect = duckdbDialect): Sql[] {
  return new CohortCompiler(dialect, ctx).eventMatch(m);
}

/** What other compilers (analytics) share with this one, so an event filter means the same everywhere. */
export interface EventSql {
  /** Conditions every matching event row `alias` meets: the step's name and filters, not after asOf. */
  matching(alias: Sql, step: Step): Sql[];
  /** The number (numeric rule, as in aggregates) of an event property of row `alias`: its typed column when hot. */
  propertyNumber(alias: Sql, path: string[]): Sql;
}

export function eventSql(ctx: CompileContext, dialect: SqlDialect = duckdbDialect): EventSql {
  return new CohortCompiler(dialect, ctx);
}

class CohortCompiler {
  private readonly t: { events: Sql; users: Sql; traits: Sql; cohortMembers: Sql };
  private readonly materialized = new Map<string, MaterializedProperty>();
  /** The event, first_time and sequence rules (event-rule-compiler.ts). */
  private readonly rules: EventRuleCompiler;

  constructor(
    private readonly d: SqlDialect,
    private readonly ctx: CompileContext,
  ) {
    for (const m of ctx.materialized ?? []) {
      // Column names come from the store, never from a definition; checked anyway since they are not bound.
      if (!COLUMN_NAME.test(m.text) || !COLUMN_NAME.test(m.number)) throw new Error(`invalid materialized column name for ${JSON.stringify(m.path)}`);
      this.materialized.set(JSON.stringify(m.path), m);
    }
    this.t = {
      events: raw(d.tables.events),
      users: raw(d.tables.users),
      traits: raw(d.tables.traits),
      cohortMembers: raw(d.tables.cohortMembers),
    };
    this.rules = new EventRuleCompiler({
      d,
      events: this.t.events,
      asOf: this.asOf(),
      conditions: (alias, event, where, whereMatch) => this.eventConditions(alias, event, where, whereMatch),
      value: (alias, path) => this.eventValue(alias, path),
      rollup: ctx.rollup && !d.fewPeople ? checkedRollup(ctx.rollup) : undefined,
    });
  }

  matching(alias: Sql, step: Step): Sql[] {
    return this.eventConditions(alias, step.event, step.where, step.whereMatch);
  }

  propertyNumber(alias: Sql, path: string[]): Sql {
    return this.eventValue(alias, path).number;
  }

  compile(definition: Definition): CompiledQuery {
    const set = this.group(definition.match, definition.rules, []);
    // Every set query already returns distinct uids, and `users` has one row per person:
    // a DISTINCT on top would only hash the whole answer once more. A set query selects `uid`
    // alone (sets are combined through `uid IN (…)`), so engines with their own shapes take it
    // as it is: 18.16 analyses a SELECT again for each level around it (running its scalar
    // subqueries each time), and the brief example's preview took 2-8% longer with the wrapper.
    const q = set.neg && this.d.shapes
      ? this.d.shapes.filtered(this.universe(), [], [forIn(set)])
      : set.neg
      ? sql`SELECT u.uid FROM ${this.t.users} AS u ANTI JOIN (${forIn(set)}) AS n ON n.uid = u.uid`
      : this.d.shapes
      ? set.query
      : sql`SELECT uid FROM (${set.query}) AS cohort`;
    return { sql: q.text, params: [...q.params] };
  }

  private asOf(): Sql {
    return this.d.timestamp(this.ctx.asOf);
  }

  eventMatch(m: EventMatch): Sql[] {
    return [...this.eventConditions(raw('e'), m.event, m.where, m.whereMatch), ...this.rules.windowConditions(raw('e.ts'), m.window)];
  }

  private universe(): Sql {
    return sql`SELECT uid FROM ${this.t.users}`;
  }

  // ------------------------------------------------------------ sets

  private group(match: 'all' | 'any', rules: Rule[], stack: string[]): SetExpr {
    const sets = rules.map((r) => this.rule(r, stack));
    if (sets.length === 1) return sets[0];
    const pos = sets.filter((s) => !s.neg);
    const neg = sets.filter((s) => s.neg);
    if (match === 'all') {
      // A ∩ B ∩ (U \ N1) ∩ (U \ N2) = (A ∩ B) \ N1 \ N2; with no positive part, U \ (N1 ∪ N2).
      if (pos.length === 0) return { neg: true, query: this.union(neg) };
      return { neg: false, query: this.filtered(pos[0].query, pos.slice(1), neg) };
    }
    // A ∪ B ∪ (U \ N1) ∪ (U \ N2) = U \ ((N1 ∩ N2) \ A \ B).
    if (neg.length === 0) return { neg: false, query: this.union(pos) };
    return { neg: true, query: this.filtered(neg[0].query, neg.slice(1), pos) };
  }

  private union(sets: SetExpr[]): Sql {
    if (sets.length === 1) return sets[0].query;
    if (this.d.shapes) return this.d.shapes.union(sets.map((s) => s.query));
    return joinSql(
      sets.map((s) => sql`SELECT uid FROM (${s.query})`),
      ' UNION ',
    );
  }

  /**
   * Rows of `base` that are in every `inAll` and in no `notIn`. Semi and anti joins rather
   * than IN / NOT IN (uid is never NULL, so they agree): NOT IN plans as a NULL-aware mark
   * join that always hashes the subquery, while DuckDB hashes the smaller side of a semi or
   * anti join (a few buyers against every signup, say).
   */
  private filtered(base: Sql, inAll: SetExpr[], notIn: SetExpr[]): Sql {
    if (this.d.shapes) return this.d.shapes.filtered(base, inAll.map(forIn), notIn.map(forIn));
    const joins = [
      ...inAll.map((s, i) => sql`SEMI JOIN (${forIn(s)}) AS ${raw(`s${i}`)} ON ${raw(`s${i}`)}.uid = b.uid`),
      ...notIn.map((s, i) => sql`ANTI JOIN (${forIn(s)}) AS ${raw(`a${i}`)} ON ${raw(`a${i}`)}.uid = b.uid`),
    ];
    if (joins.length === 0) return base;
    return sql`SELECT b.uid FROM (${base}) AS b ${joinSql(joins, ' ')}`;
  }

  private rule(rule: Rule, stack: string[]): SetExpr {
    const set = this.ruleSet(rule, stack);
    return rule.negate ? { ...set, neg: !set.neg } : set;
  }

  private ruleSet(rule: Rule, stack: string[]): SetExpr {
    switch (rule.type) {
      case 'group':
        return this.group(rule.match, rule.rules, stack);
      case 'event':
        return this.rules.eventRule(rule);
      case 'sequence':
        return { neg: false, query: this.rules.sequence(rule.steps, rule.within, rule.window) };
      case 'first_time':
        return { neg: false, query: this.rules.firstTime(rule) };
      case 'property': {
        const [key, ...rest] = rule.property.split('.');
        const traits = this.d.currentTraits(bind(key), this.asOf());
        const json = this.jsonValue(raw('tr.value'), rest);
        // A top-level trait reads the typed columns the current rows carry.
        const v: PropValue = rest.length ? json : { ...json, text: raw('tr.text'), number: raw('tr.num'), typed: true };
        const where = (pred: Sql) => this.d.currentTraitsWhere?.(bind(key), this.asOf(), pred) ?? sql`SELECT uid FROM ${traits} AS tr WHERE ${pred}`;
        // is_not_set is the only op that holds on a missing value: compute it as a complement.
        if (rule.op === 'is_not_set') return { neg: true, query: where(this.valuePredicate(v, 'is_set', undefined)) };
        return { neg: false, query: where(this.valuePredicate(v, rule.op, rule.value)) };
      }
      case 'regularly':
      case 'stopped':
      case 'restarted':
        return {
          neg: false,
          query: recurrenceQuery(rule, { d: this.d, events: this.t.events, asOf: this.asOf(), conditions: this.eventConditions(raw('e'), rule.event, rule.where, rule.whereMatch) }),
        };
      case 'cohort': {
        const resolved = this.ctx.resolveCohort(rule.cohortId);
        if (!resolved) throw new UnknownCohortError(rule.cohortId);
        if (resolved.kind === 'static') {
          return {
            neg: false,
            query: sql`SELECT DISTINCT uid FROM ${this.t.cohortMembers} WHERE cohort_id = ${bind(rule.cohortId)} AND uid IN (${this.universe()})`,
          };
        }
        if (stack.includes(rule.cohortId)) throw new CohortCycleError([...stack.slice(stack.indexOf(rule.cohortId)), rule.cohortId]);
        return this.group(resolved.definition.match, resolved.definition.rules, [...stack, rule.cohortId]);
      }
    }
  }

  // ------------------------------------------------------------ events

  /** Conditions every matching event meets: name, not after asOf, filters. `e` is the table alias. */
  private eventConditions(alias: Sql, event: string, where: Filter[] | undefined, whereMatch: 'all' | 'any' | undefined): Sql[] {
    const conds = [sql`${alias}.event = ${bind(event)}`, sql`${alias}.ts <= ${this.asOf()}`];
    if (where && where.length > 0) {
      // AND / OR commute, and DuckDB evaluates a filter's terms in the order given (its
      // adaptive reordering only partly makes up for a costly first term): cheap tests first.
      const ordered = where.map((f, i) => ({ f, i })).sort((x, y) => filterCost(x.f) - filterCost(y.f) || x.i - y.i).map((x) => x.f);
      // Filters only ever stand in WHERE under AND / OR, where NULL drops a row as false does: no
      // coalesce at their top, so DuckDB can push comparisons on typed columns into the scan.
      const preds = ordered.map((f) => this.valuePredicate(this.eventValue(alias, f.property.split('.')), f.op, f.value, false));
      conds.push(preds.length === 1 ? preds[0] : sql`(${joinSql(preds, whereMatch === 'any' ? ' OR ' : ' AND ')})`);
    }
    return conds;
  }

  // ------------------------------------------------------------ comparisons

  private jsonValue(json: Sql, path: string[]): PropValue {
    const d = this.d;
    return {
      text: d.jsonText(json, path),
      number: d.jsonNumber(json, path),
      is: (kind) => d.jsonIs(json, path, kind),
      distinctKey: d.jsonDistinctKey(json, path),
      typed: false,
    };
  }

  /** The event property at path of the events row `alias`: its typed columns when the store keeps them. */
  private eventValue(alias: Sql, path: string[]): PropValue {
    const json = this.jsonValue(sql`${alias}.props`, path);
    const m = this.materialized.get(JSON.stringify(path));
    if (!m) return json;
    const text = sql`${alias}.${raw(m.text)}`;
    return { ...json, text, number: sql`${alias}.${raw(m.number)}`, distinctKey: this.d.distinctKeyOfText(text, json.distinctKey), typed: true };
  }

  /** `typeTest AND cheap`, with the typed-column test first when the value has typed columns (AND commutes). */
  private both(v: PropValue, typeTest: Sql, cheap: Sql): Sql {
    return v.typed ? sql`(${cheap} AND ${typeTest})` : sql`(${typeTest} AND ${cheap})`;
  }

  /**
   * The value passes op/value: true, or false (or NULL when `twoValued` is off,
   * for callers that only read it under AND / OR in a WHERE clause).
   */
  private valuePredicate(v: PropValue, op: Filter['op'], value: Filter['value'], twoValued = true): Sql {
    const d = this.d;
    const text = v.text;
    const isSet = sql`(${text} IS NOT NULL)`;
    const coalesced = this.d.shapes?.orFalse ?? ((p: Sql) => sql`coalesce(${p}, false)`);
    const two = twoValued ? coalesced : (p: Sql) => p;
    // Under NOT a NULL must count as false, whatever the caller reads.
    const setAndNot = (p: Sql) => sql`(${isSet} AND NOT ${coalesced(p)})`;
    switch (op) {
      case 'is_set':
        return isSet;
      case 'is_not_set':
        return sql`(${text} IS NULL)`;
      case 'eq':
        return two(this.equals(v, [value as string | number | boolean]));
      case 'in':
        return two(this.equals(v, value as (string | number | boolean)[]));
      case 'neq':
        return setAndNot(this.equals(v, [value as string | number | boolean]));
      case 'not_in':
        return setAndNot(this.equals(v, value as (string | number | boolean)[]));
      case 'contains':
      case 'not_contains':
      case 'starts_with':
      case 'ends_with': {
        const fn = op === 'starts_with' ? d.startsWith : op === 'ends_with' ? d.endsWith : d.contains;
        const p = this.both(v, v.is('string'), fn(d.lower(text), d.lower(bind(value as string))));
        return op === 'not_contains' ? setAndNot(p) : two(p);
      }
      case 'gt':
      case 'gte':
      case 'lt':
      case 'lte':
      case 'between':
        return two(compareSql(v.number, { op, value: value as number | [number, number] }));
      case 'before':
      case 'after':
        // Only a string can match the Instant pattern, so no type test is needed.
        return two(sql`(${d.instant(text)} ${raw(op === 'before' ? '<' : '>')} ${d.timestamp(instant(value as string))})`);
      case 'regex':
        return two(this.both(v, v.is('string'), d.regexFind(text, bind(value as string))));
    }
  }

  /** The value equals one of `values` (numbers numerically, strings exactly, booleans as booleans). */
  private equals(v: PropValue, values: (string | number | boolean)[]): Sql {
    const text = v.text;
    const plain: string[] = [];
    const typedStrings: string[] = [];
    const numbers: number[] = [];
    const numbersFromStrings: number[] = [];
    const bools: boolean[] = [];
    for (const v of values) {
      if (typeof v === 'boolean') bools.push(v);
      else if (typeof v === 'number') numbers.push(v);
      else {
        (isPlainString(v) ? plain : typedStrings).push(v);
        // A string filter value equals a JSON number it parses to.
        const n = numberOf(v);
        if (n !== null) numbersFromStrings.push(n);
      }
    }
    const list = (xs: SqlParam[]) => joinSql(xs.map(bind), ', ');
    const parts: Sql[] = [];
    if (plain.length) parts.push(sql`${text} IN (${list(plain)})`);
    if (typedStrings.length) parts.push(this.both(v, v.is('string'), sql`${text} IN (${list(typedStrings)})`));
    if (numbers.length) parts.push(sql`${v.number} IN (${list(numbers)})`);
    if (numbersFromStrings.length) parts.push(this.both(v, v.is('number'), sql`${v.number} IN (${list(numbersFromStrings)})`));
    if (bools.length) parts.push(this.both(v, v.is('boolean'), sql`${text} IN (${list(bools.map(String))})`));
    return parts.length === 1 ? parts[0] : sql`(${joinSql(parts, ' OR ')})`;
  }
}
