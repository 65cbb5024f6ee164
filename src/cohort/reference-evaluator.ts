/**
 * The reference evaluator: the spec's "Meaning" section written as plainly as
 * possible over in-memory data. It is the oracle the SQL compilers are tested
 * against, so it favours obviousness over speed: no indexes, no cleverness.
 *
 * Readings of the spec chosen here (the compilers follow them too):
 * - Traits, like events, are read as of `asOf`: a trait set after asOf is ignored.
 * - A number is a JSON number or a string matching NUMBER_RE in full (no spaces).
 * - eq/in: if either side is a number, both must be numbers (numeric strings
 *   count) and are compared numerically; strings compare exactly with strings;
 *   booleans only equal booleans.
 * - A JSON null is "not set". neq, not_in, not_contains mean "set and not
 *   eq / in / contains", so they are false on a missing or null value.
 * - contains & co. apply to string values only, lower-cased per code point (the
 *   simple case mapping SQL engines use).
 * - before/after read string values holding an Instant (date, or date-time
 *   with seconds, up to 9 fraction digits truncated to microseconds, and Z or
 *   an offset); anything else never matches.
 * - An empty `where` list filters nothing, whatever `whereMatch` says.
 * - A dotted path always means nesting ("a.b" is key b inside object a); it
 *   reads objects only, never array elements ("list.0" is missing).
 * - For a property rule the first path segment is the trait key, the rest
 *   navigates inside the trait's JSON value.
 * - `distinct` counts numbers by value (1 and 1.0 are one), and a number and
 *   the string of its digits as two values.
 */
import { RE2JS } from 're2js';
import {
  parseInstant,
  type Compare,
  type Definition,
  type Duration,
  type EventRule,
  type Filter,
  type Rule,
  type Step,
  type Unit,
  type Window,
} from '../schemas/definition';
import { CohortCycleError, UnknownCohortError, type CohortResolver } from './cohort-references';
import { regularlyHolds, restartedHolds, stoppedHolds } from './reference-recurrence';

export interface EvalEvent {
  userId: string;
  event: string;
  ts: Date;
  props: Record<string, unknown>;
  seq: number;
}
export interface EvalTrait {
  userId: string;
  key: string;
  value: unknown;
  ts: Date;
  seq: number;
}
export interface EvalData {
  /** The universe. */
  users: string[];
  events: EvalEvent[];
  traits: EvalTrait[];
  staticMembers: Record<string, string[]>;
}
export interface EvalContext {
  asOf: Date;
  resolveCohort: CohortResolver;
}

export const NUMBER_RE = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/** The number a value stands for, or null. */
export function toNumber(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'string' && NUMBER_RE.test(v)) {
    const n = Number(v);
    return Number.isFinite(n) ? n : null;
  }
  return null;
}

// ------------------------------------------------------------------ time

const FIXED_MS: Record<Exclude<Unit, 'month'>, number> = {
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
  week: 7 * 86_400_000,
};

/** ms + n calendar months (UTC), day of month clamped to the target month's length. */
export function addMonthsUtc(ms: number, n: number): number {
  const d = new Date(ms);
  const total = d.getUTCFullYear() * 12 + d.getUTCMonth() + n;
  const year = Math.floor(total / 12);
  const month = total - year * 12;
  const out = new Date(ms);
  out.setUTCFullYear(year, month, 1);
  const lastDay = new Date(out.getTime());
  lastDay.setUTCFullYear(year, month + 1, 0);
  out.setUTCFullYear(year, month, Math.min(d.getUTCDate(), lastDay.getUTCDate()));
  return out.getTime();
}

function shift(ms: number, amount: number, unit: Unit): number {
  return unit === 'month' ? addMonthsUtc(ms, amount) : ms + amount * FIXED_MS[unit];
}

function instantMs(text: string): number {
  const d = parseInstant(text);
  if (!d) throw new Error(`not an Instant: ${text}`);
  return d.getTime();
}

/** Whether ts (already known to be <= asOf) is inside the window. */
function inWindow(ts: number, window: Window | undefined, asOf: number): boolean {
  if (!window) return true;
  switch (window.type) {
    case 'all_time':
      return true;
    case 'last':
      return ts >= shift(asOf, -window.amount, window.unit);
    case 'since':
      return ts >= instantMs(window.from);
    case 'until':
      return ts < instantMs(window.to);
    case 'between':
      return ts >= instantMs(window.from) && ts < instantMs(window.to);
  }
}

const PROP_INSTANT_RE =
  /^([1-9]\d{3})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])(?:T([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d)(?:\.(\d{1,9}))?)?(Z|([+-])([01]\d|2[0-3]):([0-5]\d)))?$/;

/** A property value holding an Instant, as epoch microseconds, or null. */
function propertyInstantMicros(v: unknown): bigint | null {
  if (typeof v !== 'string') return null;
  const m = PROP_INSTANT_RE.exec(v);
  if (!m) return null;
  const frac = m[7];
  const base = parseInstant(frac ? v.replace(/\.\d+/, '') : v);
  if (!base) return null;
  const micros = frac ? BigInt(frac.padEnd(9, '0').slice(0, 6)) : 0n;
  return BigInt(base.getTime()) * 1000n + micros;
}

// ------------------------------------------------------------------ values

/** Reads a dotted path inside a JSON-like value; undefined when missing. */
export function readPath(root: unknown, segments: string[]): unknown {
  let cur = root;
  for (const seg of segments) {
    if (cur === null || typeof cur !== 'object' || Array.isArray(cur)) return undefined;
    if (!Object.prototype.hasOwnProperty.call(cur, seg)) return undefined;
    cur = (cur as Record<string, unknown>)[seg];
  }
  return cur;
}

/** Lower case per code point, like SQL engines' simple case mapping. */
function lowerSimple(s: string): string {
  let out = '';
  for (const ch of s) out += String.fromCodePoint(ch.toLowerCase().codePointAt(0)!);
  return out;
}

const regexCache = new Map<string, RE2JS>();
function regexFind(pattern: string, s: string): boolean {
  let re = regexCache.get(pattern);
  if (!re) {
    re = RE2JS.compile(pattern);
    regexCache.set(pattern, re);
  }
  return re.matcher(s).find();
}

const isSet = (v: unknown) => v !== undefined && v !== null;

function valueEquals(v: unknown, x: unknown): boolean {
  if (!isSet(v)) return false;
  if (typeof x === 'boolean') return v === x;
  if (typeof x === 'number') return toNumber(v) === x;
  if (typeof x === 'string') {
    if (typeof v === 'string') return v === x;
    if (typeof v === 'number') return toNumber(x) === v;
  }
  return false;
}

/** Whether value v (undefined = missing) passes op/value. */
export function valueMatches(v: unknown, op: Filter['op'], x: unknown): boolean {
  switch (op) {
    case 'is_set':
      return isSet(v);
    case 'is_not_set':
      return !isSet(v);
    case 'eq':
      return valueEquals(v, x);
    case 'neq':
      return isSet(v) && !valueEquals(v, x);
    case 'in':
      return (x as unknown[]).some((xi) => valueEquals(v, xi));
    case 'not_in':
      return isSet(v) && !(x as unknown[]).some((xi) => valueEquals(v, xi));
    case 'contains':
      return typeof v === 'string' && lowerSimple(v).includes(lowerSimple(x as string));
    case 'not_contains':
      return isSet(v) && !(typeof v === 'string' && lowerSimple(v).includes(lowerSimple(x as string)));
    case 'starts_with':
      return typeof v === 'string' && lowerSimple(v).startsWith(lowerSimple(x as string));
    case 'ends_with':
      return typeof v === 'string' && lowerSimple(v).endsWith(lowerSimple(x as string));
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
    case 'between': {
      const n = toNumber(v);
      if (n === null) return false;
      return compareNumber(n, op, x as number | [number, number]);
    }
    case 'before':
    case 'after': {
      const p = propertyInstantMicros(v);
      if (p === null) return false;
      const bound = BigInt(instantMs(x as string)) * 1000n;
      return op === 'before' ? p < bound : p > bound;
    }
    case 'regex':
      return typeof v === 'string' && regexFind(x as string, v);
  }
}

function compareNumber(n: number, op: Compare['op'], value: number | [number, number]): boolean {
  if (op === 'between') {
    const [lo, hi] = value as [number, number];
    return n >= lo && n <= hi;
  }
  const x = value as number;
  switch (op) {
    case 'eq':
      return n === x;
    case 'neq':
      return n !== x;
    case 'gt':
      return n > x;
    case 'gte':
      return n >= x;
    case 'lt':
      return n < x;
    case 'lte':
      return n <= x;
  }
}

export function passesWhere(props: Record<string, unknown>, where: Filter[] | undefined, whereMatch: 'all' | 'any' | undefined): boolean {
  if (!where || where.length === 0) return true;
  const test = (f: Filter) => valueMatches(readPath(props, f.property.split('.')), f.op, f.value);
  return whereMatch === 'any' ? where.some(test) : where.every(test);
}

// ------------------------------------------------------------------ evaluation

export function evaluateDefinition(data: EvalData, definition: Definition, ctx: EvalContext): Set<string> {
  const asOf = ctx.asOf.getTime();
  const universe = new Set(data.users);
  const events = data.events.filter((e) => e.ts.getTime() <= asOf);
  const eventsOf = (userId: string) => events.filter((e) => e.userId === userId);

  const complement = (s: Set<string>) => new Set([...universe].filter((u) => !s.has(u)));

  const matchingTimes = (userId: string, name: string, where: Filter[] | undefined, whereMatch: 'all' | 'any' | undefined) =>
    eventsOf(userId)
      .filter((e) => e.event === name && passesWhere(e.props, where, whereMatch))
      .map((e) => e.ts.getTime());

  const evalEventRule = (rule: EventRule, userId: string): boolean => {
    const matching = eventsOf(userId).filter(
      (e) => e.event === rule.event && inWindow(e.ts.getTime(), rule.window, asOf) && passesWhere(e.props, rule.where, rule.whereMatch),
    );
    const count =
      rule.countBy === 'days' ? new Set(matching.map((e) => e.ts.toISOString().slice(0, 10))).size : matching.length;
    const cmp = rule.count ?? { op: 'gte', value: 1 };
    if (!compareNumber(count, cmp.op, cmp.value)) return false;
    if (!rule.aggregate) return true;
    const agg = rule.aggregate;
    const values = matching.map((e) => readPath(e.props, agg.property.split('.')));
    let result: number;
    if (agg.fn === 'distinct') {
      const keys = new Set<string>();
      for (const v of values) {
        if (!isSet(v)) continue;
        if (typeof v === 'number') keys.add(`n:${String(v)}`);
        else if (typeof v === 'string') keys.add(`s:${v}`);
        else if (typeof v === 'boolean') keys.add(`b:${v}`);
        else keys.add(`j:${JSON.stringify(v)}`);
      }
      if (keys.size === 0) return false;
      result = keys.size;
    } else {
      const nums = values.map(toNumber).filter((n): n is number => n !== null);
      if (nums.length === 0) return false;
      const sum = nums.reduce((a, b) => a + b, 0);
      result = agg.fn === 'sum' ? sum : agg.fn === 'avg' ? sum / nums.length : agg.fn === 'min' ? Math.min(...nums) : Math.max(...nums);
    }
    return compareNumber(result, agg.op, agg.value);
  };

  const evalSequence = (steps: Step[], within: Duration | undefined, window: Window | undefined, userId: string): boolean => {
    const times = steps.map((s) => matchingTimes(userId, s.event, s.where, s.whereMatch));
    for (const t1 of times[0]) {
      if (!inWindow(t1, window, asOf)) continue;
      let cur = t1;
      let ok = true;
      for (let k = 1; k < steps.length && ok; k++) {
        const later = times[k].filter((t) => t > cur);
        if (later.length === 0) ok = false;
        else cur = Math.min(...later);
      }
      if (ok && (!within || cur <= shift(t1, within.amount, within.unit))) return true;
    }
    return false;
  };

  const currentTrait = (userId: string, key: string): unknown => {
    let best: EvalTrait | undefined;
    for (const t of data.traits) {
      if (t.userId !== userId || t.key !== key || t.ts.getTime() > asOf) continue;
      if (!best || t.ts.getTime() > best.ts.getTime() || (t.ts.getTime() === best.ts.getTime() && t.seq > best.seq)) best = t;
    }
    return best?.value;
  };

  const evalRule = (rule: Rule, stack: string[]): Set<string> => {
    let set: Set<string>;
    const keep = (pred: (u: string) => boolean) => new Set([...universe].filter(pred));
    switch (rule.type) {
      case 'group':
        set = evalGroup(rule.match, rule.rules, stack);
        break;
      case 'event':
        set = keep((u) => evalEventRule(rule, u));
        break;
      case 'sequence':
        set = keep((u) => evalSequence(rule.steps, rule.within, rule.window, u));
        break;
      case 'first_time':
        set = keep((u) => {
          const times = matchingTimes(u, rule.event, rule.where, rule.whereMatch);
          return times.length > 0 && inWindow(Math.min(...times), rule.window, asOf);
        });
        break;
      case 'property': {
        const [key, ...rest] = rule.property.split('.');
        set = keep((u) => valueMatches(readPath(currentTrait(u, key), rest), rule.op, rule.value));
        break;
      }
      case 'regularly':
        set = keep((u) => regularlyHolds(matchingTimes(u, rule.event, rule.where, rule.whereMatch), asOf, rule));
        break;
      case 'stopped':
        set = keep((u) => stoppedHolds(matchingTimes(u, rule.event, rule.where, rule.whereMatch), asOf, rule));
        break;
      case 'restarted':
        set = keep((u) => restartedHolds(matchingTimes(u, rule.event, rule.where, rule.whereMatch), asOf, rule));
        break;
      case 'cohort': {
        const resolved = ctx.resolveCohort(rule.cohortId);
        if (!resolved) throw new UnknownCohortError(rule.cohortId);
        if (resolved.kind === 'static') {
          const members = new Set(data.staticMembers[rule.cohortId] ?? []);
          set = keep((u) => members.has(u));
        } else {
          if (stack.includes(rule.cohortId)) throw new CohortCycleError([...stack.slice(stack.indexOf(rule.cohortId)), rule.cohortId]);
          set = evalGroup(resolved.definition.match, resolved.definition.rules, [...stack, rule.cohortId]);
        }
        break;
      }
    }
    return rule.negate ? complement(set) : set;
  };

  const evalGroup = (match: 'all' | 'any', rules: Rule[], stack: string[]): Set<string> => {
    const sets = rules.map((r) => evalRule(r, stack));
    if (match === 'all') return new Set([...universe].filter((u) => sets.every((s) => s.has(u))));
    return new Set([...universe].filter((u) => sets.some((s) => s.has(u))));
  };

  return evalGroup(definition.match, definition.rules, []);
}
