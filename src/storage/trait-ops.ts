/**
 * Amplitude's identify operations on one user property, engine-neutral and
 * pure: the writer folds them over a property's history in (ts, seq) order.
 * A property's value is `undefined` when it was never set or was cleared
 * (stored as JSON null).
 */

/** Operations that read the value they change (`$set` and `$unset` do not). */
export const VALUE_OPS = ['$setOnce', '$add', '$append', '$prepend', '$preInsert', '$postInsert', '$remove'] as const;
export const KEY_OPS = ['$set', '$unset', ...VALUE_OPS] as const;
export type KeyOp = (typeof KEY_OPS)[number];

/** One operation on one property; `$clearAll` is expanded to `$unset` per known key by the writer. */
export type TraitOp = { op: KeyOp; key: string; value: unknown } | { op: '$clearAll' };

/** The order Kohort applies the operations of one identify in (each property appears once per op). */
export const OP_ORDER: readonly (KeyOp | '$clearAll')[] = ['$clearAll', '$unset', '$set', '$setOnce', '$add', '$append', '$prepend', '$preInsert', '$postInsert', '$remove'];

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const asList = (v: unknown): unknown[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]);

function toNumber(v: unknown): number {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return 0;
}

/** The value after `op` with argument `arg`, from `current` (undefined = not set). */
export function applyTraitOp(op: KeyOp, current: unknown, arg: unknown): unknown {
  const cur = current === null ? undefined : current;
  switch (op) {
    case '$set':
      return arg;
    case '$unset':
      return undefined;
    case '$setOnce':
      return cur === undefined ? arg : cur;
    case '$add':
      // Amplitude starts a property that holds no number at 0.
      return toNumber(cur) + toNumber(arg);
    case '$append':
      return [...asList(cur), ...asList(arg)];
    case '$prepend':
      return [...asList(arg), ...asList(cur)];
    case '$preInsert':
    case '$postInsert': {
      const list = asList(cur);
      const fresh: unknown[] = [];
      for (const v of asList(arg)) if (!list.some((x) => same(x, v)) && !fresh.some((x) => same(x, v))) fresh.push(v);
      return op === '$preInsert' ? [...fresh, ...list] : [...list, ...fresh];
    }
    case '$remove': {
      if (cur === undefined) return undefined;
      const drop = asList(arg);
      return asList(cur).filter((x) => !drop.some((d) => same(x, d)));
    }
  }
}
