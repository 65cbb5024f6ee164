/**
 * Values in ClickHouse SQL. ClickHouse 18.16 has no bound parameters over HTTP
 * (`{name:Type}` arrived in 19.x), so a compiled `{ sql, params }` is sent with
 * every `?` replaced by a literal from `clickhouseLiteral`, the one escaping
 * function of this engine: no value is ever concatenated into SQL any other way.
 */
import type { SqlParam } from '../dialect';

/** A string literal: backslash and quote escaped (ClickHouse reads C-style escapes inside quotes). */
export function quoteClickHouseString(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\0/g, '\\0')}'`;
}

/** 2^-537: a subnormal is written as (x * 2^537) * 2^-537, both normal and exact. */
const SUBNORMAL_SCALE = 2 ** 537;
const SUBNORMAL_FACTOR = '2.2227587494850775e-162';

/**
 * A number literal whose value is exactly the double `n`: safe integers as
 * integers; other values in exponent form, which ClickHouse parses as Float64
 * (an all-digit literal beyond 2^53 would be read as an exact UInt64 instead).
 * 18.16's parser rejects subnormals, so those are a product of two normals.
 */
export function clickhouseNumber(n: number): string {
  if (!Number.isFinite(n)) throw new Error(`not a finite number: ${n}`);
  if (Number.isSafeInteger(n)) return Object.is(n, -0) ? '0' : String(n);
  if (n !== 0 && Math.abs(n) < 2.2250738585072014e-308) return `(${(n * SUBNORMAL_SCALE).toExponential()} * ${SUBNORMAL_FACTOR})`;
  return n.toExponential();
}

export function clickhouseLiteral(p: SqlParam): string {
  if (typeof p === 'string') return quoteClickHouseString(p);
  if (typeof p === 'number') return clickhouseNumber(p);
  return p ? '1' : '0';
}

/**
 * Replaces each `?` placeholder outside string literals with its parameter's
 * literal. Quoted text is skipped with ClickHouse's own rules (backslash
 * escapes, doubled quotes), so a `?` inside a constant is never taken for a
 * placeholder.
 */
export function inlineParams(text: string, params: readonly SqlParam[]): string {
  let out = '';
  let next = 0;
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === "'" || c === '`' || c === '"') {
      let j = i + 1;
      while (j < text.length) {
        if (text[j] === '\\') j += 2;
        else if (text[j] === c && text[j + 1] === c) j += 2;
        else if (text[j] === c) break;
        else j++;
      }
      if (j >= text.length) throw new Error('unterminated quoted text in SQL');
      out += text.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    if (c === '?') {
      if (next >= params.length) throw new Error('more placeholders than parameters');
      out += clickhouseLiteral(params[next++]);
    } else {
      out += c;
    }
    i++;
  }
  if (next !== params.length) throw new Error(`${params.length - next} parameter(s) left without a placeholder`);
  return out;
}
