import type { CmpOp, Op, Unit, Window } from '../api/definition';

/** Predefined events, in the order and with the descriptions of the API spec. */
export const PREDEFINED_EVENTS: { name: string; description: string }[] = [
  { name: 'view', description: 'User views a product' },
  { name: 'cart', description: 'User adds a product to the cart' },
  { name: 'purchase', description: 'User purchases a product' },
  { name: 'signup_activity', description: 'User signs up' },
  { name: 'click', description: 'User clicks on a target' },
];

export const COUNT_OPS: { value: CmpOp; label: string }[] = [
  { value: 'gte', label: 'at least' },
  { value: 'gt', label: 'more than' },
  { value: 'eq', label: 'exactly' },
  { value: 'lte', label: 'at most' },
  { value: 'lt', label: 'fewer than' },
  { value: 'between', label: 'between' },
  { value: 'neq', label: 'not exactly' },
];

export const FILTER_OPS: { value: Op; label: string }[] = [
  { value: 'eq', label: '=' },
  { value: 'neq', label: '≠' },
  { value: 'gt', label: '>' },
  { value: 'gte', label: '≥' },
  { value: 'lt', label: '<' },
  { value: 'lte', label: '≤' },
  { value: 'between', label: 'between' },
  { value: 'in', label: 'is one of' },
  { value: 'not_in', label: 'is none of' },
  { value: 'contains', label: 'contains' },
  { value: 'not_contains', label: 'does not contain' },
  { value: 'starts_with', label: 'starts with' },
  { value: 'ends_with', label: 'ends with' },
  { value: 'regex', label: 'matches regex' },
  { value: 'before', label: 'is before (date)' },
  { value: 'after', label: 'is after (date)' },
  { value: 'is_set', label: 'is set' },
  { value: 'is_not_set', label: 'is not set' },
];

export const NUMERIC_OPS: Op[] = ['gt', 'gte', 'lt', 'lte', 'between'];
export const LIST_OPS: Op[] = ['in', 'not_in'];
export const NO_VALUE_OPS: Op[] = ['is_set', 'is_not_set'];
export const DATE_OPS: Op[] = ['before', 'after'];

export const UNITS: { value: Unit; label: string }[] = [
  { value: 'minute', label: 'minutes' },
  { value: 'hour', label: 'hours' },
  { value: 'day', label: 'days' },
  { value: 'week', label: 'weeks' },
  { value: 'month', label: 'months' },
];

export const WINDOW_TYPES: { value: Window['type']; label: string }[] = [
  { value: 'all_time', label: 'all time' },
  { value: 'last', label: 'in the last' },
  { value: 'since', label: 'after a date' },
  { value: 'until', label: 'before a date' },
  { value: 'between', label: 'between dates' },
];

export const AGGREGATE_FNS = [
  { value: 'sum', label: 'sum of' },
  { value: 'avg', label: 'average of' },
  { value: 'min', label: 'minimum of' },
  { value: 'max', label: 'maximum of' },
  { value: 'distinct', label: 'distinct count of' },
];
