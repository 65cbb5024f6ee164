import type { Definition, Rule } from '../api/definition';

export type RuleKind = 'event' | 'not_event' | 'sequence' | 'first_time' | 'regularly' | 'stopped' | 'restarted' | 'property' | 'cohort' | 'group';

export const RULE_KINDS: { value: RuleKind; label: string }[] = [
  { value: 'event', label: 'Performed an event' },
  { value: 'not_event', label: 'Did not perform an event' },
  { value: 'sequence', label: 'Performed a sequence' },
  { value: 'first_time', label: 'Did an event for the first time' },
  { value: 'regularly', label: 'Does an event regularly (N of the last days / weeks / months)' },
  { value: 'stopped', label: 'Stopped doing an event' },
  { value: 'restarted', label: 'Came back to an event after a break' },
  { value: 'property', label: 'Has a user property' },
  { value: 'cohort', label: 'Is in another cohort' },
  { value: 'group', label: 'Group of conditions (AND / OR)' },
];

export function newRule(kind: RuleKind): Rule {
  switch (kind) {
    case 'event':
      return { type: 'event', event: '' };
    case 'not_event':
      return { type: 'event', event: '', negate: true };
    case 'sequence':
      return { type: 'sequence', steps: [{ event: '' }, { event: '' }] };
    case 'first_time':
      return { type: 'first_time', event: '', window: { type: 'last', amount: 30, unit: 'day' } };
    case 'regularly':
      return { type: 'regularly', event: '', period: 'week', periods: 4, atLeast: 3 };
    case 'stopped':
      return { type: 'stopped', event: '', active: { amount: 30, unit: 'day' }, inactive: { amount: 14, unit: 'day' } };
    case 'restarted':
      return { type: 'restarted', event: '', inactive: { amount: 30, unit: 'day' }, returned: { amount: 7, unit: 'day' } };
    case 'property':
      return { type: 'property', property: '', op: 'eq', value: '' };
    case 'cohort':
      return { type: 'cohort', cohortId: '' };
    case 'group':
      return { type: 'group', match: 'any', rules: [{ type: 'event', event: '' }] };
  }
}

export function emptyDefinition(): Definition {
  return { match: 'all', rules: [newRule('event')] };
}

export const MAX_DEPTH = 5;
export const MAX_RULES = 50;
