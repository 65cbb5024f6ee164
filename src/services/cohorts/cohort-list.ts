import type { Cohort, ListCohortsQuery } from '../../schemas/cohort.js';
import { invalidInput } from '../errors.js';

type SortKey = ListCohortsQuery['sort'];

const sortValue = (c: Cohort, sort: SortKey): string | number =>
  sort === 'name' ? c.name.toLowerCase() : sort === 'size' ? c.size : sort === 'createdAt' ? c.createdAt : c.updatedAt;

const encode = (v: string | number, id: string) => Buffer.from(JSON.stringify([v, id])).toString('base64url');
function decode(cursor: string): [string | number, string] {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(v) && v.length === 2 && typeof v[1] === 'string' && ['string', 'number'].includes(typeof v[0])) return v as [string | number, string];
  } catch {
    /* fall through */
  }
  throw invalidInput('cursor is not one this server returned', [{ field: 'cursor', message: 'invalid cursor' }]);
}

const startOfDay = (s: string) => (s.length === 10 ? `${s}T00:00:00.000Z` : new Date(s).toISOString());

/**
 * Filters, sorts and pages cohorts (keyset cursor on (sort value, id), so
 * pages stay consistent while cohorts are added). Cohort counts are small
 * enough to do this in memory, which keeps it the same on every engine.
 */
export function listCohorts(all: Cohort[], q: ListCohortsQuery): { items: Cohort[]; nextCursor: string | null } {
  const order = q.order ?? (q.sort === 'name' ? 'asc' : 'desc');
  const needle = q.q?.trim().toLowerCase();
  const tag = q.tag?.trim().toLowerCase();
  const from = q.createdFrom ? startOfDay(q.createdFrom) : undefined;
  // A date-only upper bound includes that whole day.
  const to = q.createdTo ? (q.createdTo.length === 10 ? `${q.createdTo}T23:59:59.999Z` : new Date(q.createdTo).toISOString()) : undefined;
  const filtered = all.filter(
    (c) =>
      (!needle || c.name.toLowerCase().includes(needle) || c.description.toLowerCase().includes(needle)) &&
      (!q.status || c.status === q.status) &&
      (q.status !== undefined || q.archived !== 'exclude' || c.status !== 'archived') &&
      // Tags are matched in any case: "VIP" and "vip" are one tag to a person.
      (!tag || c.tags.some((t) => t.toLowerCase() === tag)) &&
      (!from || c.createdAt >= from) &&
      (!to || c.createdAt <= to),
  );
  const dir = order === 'asc' ? 1 : -1;
  const cmp = (a: [string | number, string], b: [string | number, string]) =>
    (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0) * dir;
  const keyed = filtered.map((c) => ({ c, k: [sortValue(c, q.sort), c.id] as [string | number, string] })).sort((a, b) => cmp(a.k, b.k));
  const after = q.cursor ? decode(q.cursor) : undefined;
  const rest = after ? keyed.filter((x) => cmp(x.k, after) > 0) : keyed;
  const page = rest.slice(0, q.limit);
  const last = page[page.length - 1];
  return { items: page.map((x) => x.c), nextCursor: rest.length > q.limit && last ? encode(last.k[0], last.k[1]) : null };
}
