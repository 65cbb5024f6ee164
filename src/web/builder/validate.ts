import { definitionSchema, type Definition } from '../api/definition';
import type { ApiIssue } from '../api/errors';

/** A client-side issue; `incomplete` ones are fields not filled in yet rather than mistakes. */
export interface ClientIssue extends ApiIssue {
  incomplete: boolean;
}

const VALUE_OPS_WITHOUT_VALUE = new Set(['is_set', 'is_not_set']);

/**
 * Client-side check with the shared schema, so mistakes show beside the field
 * before any request. An empty field is reported in plain words ("Enter a
 * value") and marked incomplete, so the builder can wait for the person to
 * finish instead of shouting at a condition they just added. The schema
 * accepts an empty text value for `=`, but "brand = (nothing)" is never what
 * anyone means, so it counts as incomplete here too.
 */
export function validateDefinition(def: Definition): ClientIssue[] {
  const out: ClientIssue[] = [];
  const r = definitionSchema.safeParse(def);
  if (!r.success) {
    for (const i of r.error.issues) {
      const path = i.path.filter((p): p is string | number => typeof p !== 'symbol');
      const at = readAt(def, path);
      const empty = isEmpty(at) || (path.at(-1) === 'value' && Array.isArray(at) && at.some(isEmpty));
      const owner = readAt(def, path.slice(0, -1)) as { property?: unknown } | undefined;
      const message = i.code === 'unrecognized_keys' ? `unknown field ${i.keys.join(', ')}`
        : empty ? missingMessage(path, i.message, typeof owner?.property === 'string' ? owner.property : '') : i.message;
      out.push({ path, message, incomplete: empty });
    }
  }
  walkFilters(def, [], (holder, path) => {
    if (VALUE_OPS_WITHOUT_VALUE.has(String(holder.op))) return;
    const v = holder.value;
    if (typeof v === 'string' && v.trim() === '' && !out.some((o) => samePath(o.path, [...path, 'value']))) {
      out.push({ path: [...path, 'value'], message: valueMessage('Enter a value', holder.property), incomplete: true });
    }
  });
  return out;
}

/** Plain words for a field left empty, by the field's name. */
function valueMessage(base: string, property: unknown): string {
  return typeof property === 'string' && property.trim() ? `${base} for ${property}` : base;
}

function missingMessage(path: (string | number)[], fallback: string, property: string): string {
  const last = String(path.at(-1) ?? '');
  if (last === 'event') return 'Choose an event';
  if (last === 'property') return 'Enter a property name';
  if (last === 'cohortId') return 'Choose a cohort';
  if (last === 'from' || last === 'to') return 'Pick a date';
  if (last === 'rules') return 'Add at least one condition';
  if (last === 'value') return valueMessage(/number/.test(fallback) ? 'Enter a number' : 'Enter a value', property);
  if (last === 'amount') return 'Enter a number';
  return fallback;
}

function isEmpty(v: unknown): boolean {
  return v === undefined || v === null || (typeof v === 'string' && v.trim() === '') || (Array.isArray(v) && v.length === 0);
}

function samePath(a: (string | number)[], b: (string | number)[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function readAt(root: unknown, path: (string | number)[]): unknown {
  let cur: unknown = root;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[p];
  }
  return cur;
}

type Holder = { op?: unknown; value?: unknown; property?: unknown };

/** Calls `visit` for every filter and property rule (the things with an op and a value). */
function walkFilters(node: unknown, path: (string | number)[], visit: (h: Holder, path: (string | number)[]) => void): void {
  if (!node || typeof node !== 'object') return;
  const n = node as Record<string, unknown>;
  if (n.type === 'property') visit(n, path);
  for (const key of ['rules', 'where', 'steps'] as const) {
    const list = n[key];
    if (!Array.isArray(list)) continue;
    list.forEach((child, i) => {
      if (key === 'where') visit(child as Holder, [...path, key, i]);
      else walkFilters(child, [...path, key, i], visit);
    });
  }
}

/** The incomplete issues as a short list for the size panel ("Choose an event (condition 1)"). */
export function incompleteSummary(issues: ClientIssue[]): string[] {
  const seen = new Set<string>();
  for (const i of issues) {
    if (!i.incomplete) continue;
    const cond = typeof i.path[1] === 'number' && i.path[0] === 'rules' ? ` (condition ${i.path[1] + 1})` : '';
    seen.add(`${i.message}${cond}`);
  }
  return [...seen];
}
