/** Pure helpers of the cohort compiler: literal parsing, filter ordering, count comparisons. */
import type { Compare, Filter } from '../schemas/definition';
import { parseInstant } from '../schemas/definition';

const NUMBER_RE = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
export const numberOf = (s: string): number | null => {
  if (!NUMBER_RE.test(s)) return null;
  const n = Number(s);
  return Number.isFinite(n) ? n : null;
};

/**
 * A string that cannot be the extracted text of a JSON number, boolean, object
 * or array, so `text = ?` alone proves the value is that string.
 */
export const isPlainString = (s: string) => s !== 'true' && s !== 'false' && !/^[-+.0-9{[]/.test(s);


export function instant(text: string): Date {
  const d = parseInstant(text);
  if (!d) throw new Error(`not an Instant: ${text}`);
  return d;
}

/** Rough relative cost of a filter: one extraction and a compare, then numeric parsing, then string scans and regexes. */
export function filterCost(f: Filter): number {
  switch (f.op) {
    case 'is_set':
    case 'is_not_set':
      return 0;
    case 'eq':
    case 'neq':
    case 'in':
    case 'not_in': {
      const values = Array.isArray(f.value) ? f.value : [f.value];
      return values.every((v) => typeof v === 'string' && isPlainString(v)) ? 1 : 2;
    }
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
    case 'between':
      return 2;
    case 'contains':
    case 'not_contains':
    case 'starts_with':
    case 'ends_with':
      return 3;
    case 'before':
    case 'after':
    case 'regex':
      return 4;
  }
}

/** Whether the comparison holds for every count from 1 up and fails at 0 (given it fails at 0). */
export function atLeastOne(c: Compare): boolean {
  const x = c.value as number;
  return (c.op === 'gte' && x > 0 && x <= 1) || (c.op === 'gt' && x >= 0 && x < 1) || (c.op === 'neq' && x === 0);
}

export function compareHolds(n: number, c: Compare): boolean {
  if (c.op === 'between') {
    const [lo, hi] = c.value as [number, number];
    return n >= lo && n <= hi;
  }
  const x = c.value as number;
  return { eq: n === x, neq: n !== x, gt: n > x, gte: n >= x, lt: n < x, lte: n <= x }[c.op];
}
