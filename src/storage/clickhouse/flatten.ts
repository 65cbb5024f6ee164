/**
 * JSON values as the ClickHouse tables keep them: one entry per object path
 * (nested objects are walked, arrays are leaves, nulls are left out since a null
 * reads as "not set"), with the kind, text, number and distinct key the cohort
 * compiler's predicates read (see dialects/clickhouse.ts). Each is computed here
 * with the rules of the spec's reading (reference-evaluator.ts): the text of a
 * string is itself, of anything else its JSON; the number is a finite JSON
 * number or a string in the numeric rule's language; distinct keys tell numbers
 * by value and a number from the string of its digits.
 */
import { numberOf } from '../../cohort/compile-helpers';
import { KIND_CODE, pathKey } from '../../cohort/dialects/clickhouse';

export interface FlatJson {
  keys: string[];
  kind: number[];
  text: (string | null)[];
  num: (number | null)[];
  dkey: (string | null)[];
}

function kindOf(v: unknown): keyof typeof KIND_CODE {
  if (Array.isArray(v)) return 'array';
  switch (typeof v) {
    case 'string':
      return 'string';
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    default:
      return 'object';
  }
}

export function textOf(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  return typeof v === 'string' ? v : JSON.stringify(v);
}

export function numberOfValue(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  return typeof v === 'string' ? numberOf(v) : null;
}

export function distinctKeyOf(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return `n:${String(v)}`;
  if (typeof v === 'string') return `s:${v}`;
  if (typeof v === 'boolean') return `b:${v}`;
  return `j:${JSON.stringify(v)}`;
}

/** Every path of `value` (the root too when `withRoot`), nulls left out. */
export function flattenJson(value: unknown, withRoot: boolean): FlatJson {
  const out: FlatJson = { keys: [], kind: [], text: [], num: [], dkey: [] };
  const visit = (v: unknown, path: string[]) => {
    if (v === null || v === undefined) return;
    if (path.length > 0 || withRoot) {
      out.keys.push(pathKey(path));
      out.kind.push(KIND_CODE[kindOf(v)]);
      out.text.push(textOf(v));
      out.num.push(numberOfValue(v));
      out.dkey.push(distinctKeyOf(v));
    }
    if (typeof v === 'object' && !Array.isArray(v)) {
      for (const [k, child] of Object.entries(v as Record<string, unknown>)) visit(child, [...path, k]);
    }
  };
  visit(value, []);
  return out;
}

/** The value at a path of objects (undefined when missing), as the reference reads it. */
export function readPath(root: unknown, path: readonly string[]): unknown {
  let cur = root;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object' || Array.isArray(cur)) return undefined;
    if (!Object.prototype.hasOwnProperty.call(cur, seg)) return undefined;
    cur = (cur as Record<string, unknown>)[seg];
  }
  return cur;
}

/** The columns `prefix_keys`, `prefix_kind`, ... of a row. */
export function flatColumns(prefix: string, flat: FlatJson): Record<string, unknown> {
  return {
    [`${prefix}_keys`]: flat.keys,
    [`${prefix}_kind`]: flat.kind,
    [`${prefix}_text`]: flat.text,
    [`${prefix}_num`]: flat.num,
    [`${prefix}_dkey`]: flat.dkey,
  };
}
