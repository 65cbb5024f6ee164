/**
 * A trait or event property value as a person reads it: text without quotes,
 * numbers and booleans as they are, dates left as written, lists joined,
 * objects as compact JSON; long values cut with "…" (the full value goes in a title).
 */
export function traitText(v: unknown, max = 120): string {
  let s: string;
  if (v === null || v === undefined) s = '—';
  else if (typeof v === 'string') s = v;
  else if (typeof v === 'number' || typeof v === 'boolean') s = String(v);
  else if (Array.isArray(v) && v.every((x) => x === null || typeof x !== 'object')) s = v.map((x) => traitText(x, max)).join(', ');
  else s = JSON.stringify(v);
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}
