import type { Op, Value } from '../api/definition';
import { LIST_OPS, NO_VALUE_OPS } from './labels';

/**
 * Applies a patch and drops keys set to undefined, so optional fields the user
 * cleared leave the definition instead of lingering as `undefined`.
 */
export function patched<T extends object>(obj: T, patch: Partial<T>): T {
  const next = { ...obj, ...patch };
  for (const k of Object.keys(next) as (keyof T)[]) if (next[k] === undefined) delete next[k];
  return next;
}

/** Reshapes a filter's value when its operator changes: none, a pair, a list or a single value. */
export function valueForOp(op: Op, value: Value | Value[] | undefined): Value | Value[] | undefined {
  if (NO_VALUE_OPS.includes(op)) return undefined;
  if (op === 'between') return Array.isArray(value) ? value : [];
  if (LIST_OPS.includes(op)) return Array.isArray(value) ? value : value === undefined || value === '' ? [] : [value];
  return Array.isArray(value) ? value[0] : value;
}
