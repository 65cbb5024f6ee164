import type { Compare, Duration, Filter, Rule, Window } from '../api/definition';
import { AGGREGATE_FNS, COUNT_OPS, FILTER_OPS } from '../builder/labels';
// Definition instants are UTC: written as the plain-language summaries write them ("22 Mar 2023").
import { describeInstant } from '../../schemas/describe-definition';

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;
const span = (d: Duration) => plural(d.amount, d.unit);

function compareText(c: Compare): string {
  const op = COUNT_OPS.find((o) => o.value === c.op)?.label ?? c.op;
  return Array.isArray(c.value) ? `${op} ${c.value[0]} and ${c.value[1]}` : `${op} ${c.value}`;
}

function valueText(v: Filter['value']): string {
  if (v === undefined) return '';
  if (Array.isArray(v)) return v.map((x) => JSON.stringify(x)).join(', ');
  return JSON.stringify(v);
}

function filtersText(where: Filter[] | undefined, whereMatch: 'all' | 'any' | undefined): string {
  if (!where?.length) return '';
  const parts = where.map((f) => `${f.property} ${FILTER_OPS.find((o) => o.value === f.op)?.label ?? f.op} ${valueText(f.value)}`.trim());
  return ` where ${parts.join(whereMatch === 'any' ? ' or ' : ' and ')}`;
}

function windowText(w: Window | undefined): string {
  if (!w || w.type === 'all_time') return '';
  switch (w.type) {
    case 'last': return ` in the last ${span(w)}`;
    case 'since': return ` on or after ${describeInstant(w.from)}`;
    case 'until': return ` before ${describeInstant(w.to)}`;
    case 'between': return ` from ${describeInstant(w.from)} to before ${describeInstant(w.to)}`;
  }
}

/** A rule in plain words, without its negation ("did purchase at least 2 times in the last 30 days"). */
export function describeRule(rule: Rule): string {
  switch (rule.type) {
    case 'event': {
      const count = rule.count ?? { op: 'gte', value: 1 };
      const one = count.value === 1;
      const times = `${compareText(count)} ${rule.countBy === 'days' ? (one ? 'day' : 'days') : one ? 'time' : 'times'}`;
      const agg = rule.aggregate
        ? `, with the ${AGGREGATE_FNS.find((f) => f.value === rule.aggregate!.fn)?.label ?? rule.aggregate.fn} ${rule.aggregate.property} ${compareText(rule.aggregate)}`
        : '';
      return `did ${rule.event || '(no event)'}${filtersText(rule.where, rule.whereMatch)} ${times}${windowText(rule.window)}${agg}`;
    }
    case 'first_time':
      return `did ${rule.event}${filtersText(rule.where, rule.whereMatch)} for the first time${windowText(rule.window)}`;
    case 'sequence':
      return `did ${rule.steps.map((s) => s.event + filtersText(s.where, s.whereMatch)).join(', then ')}${rule.within ? ` within ${span(rule.within)}` : ''}${windowText(rule.window)}`;
    case 'regularly':
      return `did ${rule.event}${filtersText(rule.where, rule.whereMatch)} in at least ${rule.atLeast} of the last ${plural(rule.periods, rule.period)}`;
    case 'stopped':
      return `did ${rule.event}${filtersText(rule.where, rule.whereMatch)} in the ${span(rule.active)} before the last ${span(rule.inactive)}, and not since`;
    case 'restarted':
      return `came back to ${rule.event}${filtersText(rule.where, rule.whereMatch)} in the last ${span(rule.returned)} after a break of ${span(rule.inactive)}`;
    case 'property':
      return `has ${rule.property} ${FILTER_OPS.find((o) => o.value === rule.op)?.label ?? rule.op} ${valueText(rule.value)}`.trim();
    case 'cohort':
      return `is in cohort ${rule.cohortId}`;
    case 'group':
      return rule.match === 'all' ? 'all of these hold' : 'any of these holds';
  }
}
