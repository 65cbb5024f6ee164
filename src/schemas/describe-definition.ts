import type { Compare, Definition, Duration, Filter, Rule, Step, Unit, Value, Window } from './definition.js';

/**
 * Plain-language summaries of cohort definitions, one formatter for the
 * builder, the cohort page and the list (and anything else that shows a
 * definition to a person). Pure and deterministic: dates are written in UTC,
 * like the definition language reads them, so the text is the same in every
 * browser. It accepts drafts too: a missing value reads "…" rather than
 * throwing, so the builder can show the summary while the user types.
 */

/** Rule types of the language that may be newer than the schema this file was built against. */
interface RegularlyRule {
  type: 'regularly'; event: string; where?: Filter[]; whereMatch?: 'all' | 'any';
  period: 'day' | 'week' | 'month'; periods: number; atLeast: number; negate?: boolean;
}
interface StoppedRule {
  type: 'stopped'; event: string; where?: Filter[]; whereMatch?: 'all' | 'any';
  active: Duration; inactive: Duration; negate?: boolean;
}
interface RestartedRule {
  type: 'restarted'; event: string; where?: Filter[]; whereMatch?: 'all' | 'any';
  inactive: Duration; returned: Duration; negate?: boolean;
}
export type DescribableRule = Rule | RegularlyRule | StoppedRule | RestartedRule;
export interface DescribableDefinition { match: Definition['match']; rules: DescribableRule[] }

export interface DescribeOptions {
  /** Name of a saved cohort for `cohort` rules; the id is shown when unknown. */
  cohortName?: (id: string) => string | undefined;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const MISSING = '…';

/** "22 Mar 2023", or "22 Mar 2023 10:30 UTC" when the instant has a time of day. */
export function describeInstant(text: string | undefined): string {
  if (!text) return MISSING;
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(text);
  if (!m) return text;
  const d = new Date(text.length === 10 ? `${text}T00:00:00Z` : text);
  if (Number.isNaN(d.getTime())) return text;
  const date = `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}`;
  if (text.length === 10 || (d.getUTCHours() === 0 && d.getUTCMinutes() === 0 && d.getUTCSeconds() === 0)) return date;
  const hh = String(d.getUTCHours()).padStart(2, '0');
  const mm = String(d.getUTCMinutes()).padStart(2, '0');
  return `${date} ${hh}:${mm} UTC`;
}

function plural(n: number | undefined, unit: string): string {
  if (n === undefined || Number.isNaN(n)) return `${MISSING} ${unit}s`;
  return `${n} ${unit}${n === 1 ? '' : 's'}`;
}

export function describeDuration(d: Partial<Duration> | undefined): string {
  return plural(d?.amount, (d?.unit ?? 'day') as Unit);
}

/** The window as a phrase to append ("" for all time). */
export function describeWindow(w: Window | undefined): string {
  if (!w || w.type === 'all_time') return '';
  switch (w.type) {
    case 'last': return `in the last ${w.amount === 1 ? w.unit : describeDuration(w)}`;
    case 'since': return `on or after ${describeInstant(w.from)}`;
    case 'until': return `before ${describeInstant(w.to)}`;
    case 'between': return `from ${describeInstant(w.from)} until before ${describeInstant(w.to)}`;
  }
}

function value(v: Value | Value[] | undefined): string {
  if (v === undefined) return MISSING;
  if (Array.isArray(v)) return v.length ? v.map((x) => value(x)).join(', ') : MISSING;
  if (v === '') return MISSING;
  return String(v);
}

function pair(v: Value | Value[] | undefined): [string, string] {
  const a = Array.isArray(v) ? v : [];
  return [value(a[0]), value(a[1])];
}

/** "brand = something", "price between 10 and 20", "email is set". */
export function describeCondition(property: string, op: Filter['op'], v: Value | Value[] | undefined): string {
  const p = property || MISSING;
  switch (op) {
    case 'eq': return `${p} = ${value(v)}`;
    case 'neq': return `${p} ≠ ${value(v)}`;
    case 'gt': return `${p} > ${value(v)}`;
    case 'gte': return `${p} ≥ ${value(v)}`;
    case 'lt': return `${p} < ${value(v)}`;
    case 'lte': return `${p} ≤ ${value(v)}`;
    case 'between': { const [a, b] = pair(v); return `${p} between ${a} and ${b}`; }
    case 'in': return `${p} is one of ${value(v)}`;
    case 'not_in': return `${p} is none of ${value(v)}`;
    case 'contains': return `${p} contains "${value(v)}"`;
    case 'not_contains': return `${p} does not contain "${value(v)}"`;
    case 'starts_with': return `${p} starts with "${value(v)}"`;
    case 'ends_with': return `${p} ends with "${value(v)}"`;
    case 'regex': return `${p} matches /${value(v)}/`;
    case 'before': return `${p} is before ${describeInstant(typeof v === 'string' ? v : undefined)}`;
    case 'after': return `${p} is after ${describeInstant(typeof v === 'string' ? v : undefined)}`;
    case 'is_set': return `${p} is set`;
    case 'is_not_set': return `${p} is not set`;
  }
}

function where(filters: Filter[] | undefined, match: 'all' | 'any' | undefined): string {
  if (!filters?.length) return '';
  return ` where ${filters.map((f) => describeCondition(f.property, f.op, f.value)).join(match === 'any' ? ' or ' : ' and ')}`;
}

/** Count phrase; "" for the default (at least once). */
function count(c: Compare | undefined, byDays: boolean): string {
  if (!c || (c.op === 'gte' && c.value === 1 && !byDays)) return '';
  const times = (n: number | undefined) => byDays
    ? `${n === undefined ? MISSING : n} ${n === 1 ? 'day' : 'different days'}`
    : n === 1 ? 'once' : n === 2 ? 'twice' : `${n === undefined ? MISSING : n} times`;
  const n = typeof c.value === 'number' ? c.value : undefined;
  const on = byDays ? 'on ' : '';
  switch (c.op) {
    case 'gte': return `${on}at least ${times(n)}`;
    case 'gt': return `${on}more than ${times(n)}`;
    case 'eq': return `${on}exactly ${times(n)}`;
    case 'neq': return `${on}not exactly ${times(n)}`;
    case 'lte': return `${on}at most ${times(n)}`;
    case 'lt': return `${on}fewer than ${times(n)}`;
    case 'between': {
      const [a, b] = pair(c.value as never);
      return `${on}between ${a} and ${b} ${byDays ? 'different days' : 'times'}`;
    }
  }
}

const AGG: Record<string, string> = { sum: 'total', avg: 'average', min: 'lowest', max: 'highest', distinct: 'number of distinct' };
const CMP: Record<string, string> = { eq: '=', neq: '≠', gt: '>', gte: '≥', lt: '<', lte: '≤' };

function joinParts(head: string, ...parts: string[]): string {
  const rest = parts.filter(Boolean);
  return rest.length ? `${head} ${rest.join(', ')}` : head;
}

/** One rule as a sentence fragment starting with a capital letter. */
export function describeRule(rule: DescribableRule, opts: DescribeOptions = {}): string {
  const ev = (e: string | undefined) => e || MISSING;
  const did = rule.negate ? 'Did not perform' : 'Performed';
  switch (rule.type) {
    case 'event': {
      // Negated, the count stays: "Did not perform purchase more than once" still says what is excluded.
      const c = count(rule.count, rule.countBy === 'days');
      const agg = rule.aggregate
        ? `with ${AGG[rule.aggregate.fn] ?? rule.aggregate.fn} ${rule.aggregate.property || MISSING} ${rule.aggregate.op === 'between'
          ? `between ${pair(rule.aggregate.value as never).join(' and ')}` : `${CMP[rule.aggregate.op]} ${value(rule.aggregate.value as never)}`}`
        : '';
      return joinParts(`${did} ${ev(rule.event)}${where(rule.where, rule.whereMatch)}`, [c, agg].filter(Boolean).join(' '), describeWindow(rule.window));
    }
    case 'sequence': {
      const steps = rule.steps.map((s: Step) => `${ev(s.event)}${where(s.where, s.whereMatch)}`).join(', then ');
      const within = rule.within ? `all within ${describeDuration(rule.within)}` : '';
      return joinParts(`${did} ${steps}`, within, describeWindow(rule.window) && `starting ${describeWindow(rule.window)}`);
    }
    case 'first_time':
      return joinParts(`${did} ${ev(rule.event)}${where(rule.where, rule.whereMatch)} for the first time`, describeWindow(rule.window));
    case 'property':
      return `${rule.negate ? 'Does not have' : 'Has'} ${describeCondition(rule.property, rule.op, rule.value)}`;
    case 'cohort': {
      const name = rule.cohortId ? opts.cohortName?.(rule.cohortId) ?? rule.cohortId : MISSING;
      return `${rule.negate ? 'Not in' : 'In'} cohort ${name}`;
    }
    case 'group': {
      const inner = rule.rules.map((r) => lower(describeRule(r, opts))).join(rule.match === 'any' ? ' or ' : ' and ');
      return `${rule.negate ? 'Not ' : ''}(${inner})`;
    }
    case 'regularly': {
      const unit = rule.period ?? 'week';
      return `${did} ${ev(rule.event)}${where(rule.where, rule.whereMatch)} in at least ${rule.atLeast ?? MISSING} of the last ${plural(rule.periods, unit)}`;
    }
    case 'stopped':
      return `${rule.negate ? 'Did not stop' : 'Stopped'} performing ${ev(rule.event)}${where(rule.where, rule.whereMatch)}: did it in the ${describeDuration(rule.active)} before the last ${describeDuration(rule.inactive)}, and not since`;
    case 'restarted':
      return `${rule.negate ? 'Did not come back to' : 'Came back to'} ${ev(rule.event)}${where(rule.where, rule.whereMatch)}: did it in the last ${describeDuration(rule.returned)} after a gap of ${describeDuration(rule.inactive)}, having done it before`;
  }
}

function lower(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}

/** Each top-level rule as its own line (for lists where a long sentence would not fit). */
export function describeRules(def: DescribableDefinition, opts: DescribeOptions = {}): string[] {
  return def.rules.map((r) => describeRule(r, opts));
}

/** The whole definition as one sentence: rules joined by "and" / "or". */
export function describeDefinition(def: DescribableDefinition, opts: DescribeOptions = {}): string {
  if (!def.rules.length) return 'No conditions yet';
  const parts = describeRules(def, opts);
  return parts.map((p, i) => (i === 0 ? p : lower(p))).join(def.match === 'any' ? ', or ' : ', and ');
}
