import type { CohortListParams } from '../../api/cohorts';

export type SortKey = NonNullable<CohortListParams['sort']>;
export const SORT_KEYS: SortKey[] = ['updatedAt', 'createdAt', 'name', 'size'];

/** The order a column sorts in first: names A→Z, dates and sizes newest / largest first. */
export const naturalOrder = (sort: SortKey): 'asc' | 'desc' => (sort === 'name' ? 'asc' : 'desc');

/** What the list shows, as kept in the URL (`/cohorts?tag=vip&sort=name`): shareable, and kept on Back. */
export interface ListState {
  q: string;
  status: string;
  tag: string;
  createdFrom: string;
  createdTo: string;
  sort: SortKey;
  order: 'asc' | 'desc';
  /** Archived cohorts are hidden unless asked for. */
  showArchived: boolean;
}

export function readListState(search: URLSearchParams): ListState {
  const sortParam = search.get('sort') as SortKey | null;
  const sort = sortParam && SORT_KEYS.includes(sortParam) ? sortParam : 'updatedAt';
  const orderParam = search.get('order');
  return {
    q: search.get('q') ?? '',
    status: search.get('status') ?? '',
    tag: search.get('tag') ?? '',
    createdFrom: search.get('createdFrom') ?? '',
    createdTo: search.get('createdTo') ?? '',
    sort,
    order: orderParam === 'asc' || orderParam === 'desc' ? orderParam : naturalOrder(sort),
    showArchived: search.get('archived') === 'show',
  };
}

/** The query string for a state; defaults are left out so a plain list is plain `/cohorts`. */
export function listSearch(s: ListState): string {
  const qs = new URLSearchParams();
  if (s.q) qs.set('q', s.q);
  if (s.status) qs.set('status', s.status);
  if (s.tag) qs.set('tag', s.tag);
  if (s.createdFrom) qs.set('createdFrom', s.createdFrom);
  if (s.createdTo) qs.set('createdTo', s.createdTo);
  if (s.sort !== 'updatedAt') qs.set('sort', s.sort);
  if (s.order !== naturalOrder(s.sort)) qs.set('order', s.order);
  if (s.showArchived) qs.set('archived', 'show');
  const text = qs.toString();
  return text ? `?${text}` : '';
}

export function apiParams(s: ListState): CohortListParams {
  return {
    q: s.q.trim() || undefined,
    status: s.status || undefined,
    tag: s.tag.trim() || undefined,
    createdFrom: s.createdFrom || undefined,
    createdTo: s.createdTo || undefined,
    sort: s.sort,
    order: s.order,
    archived: s.showArchived || s.status ? 'include' : 'exclude',
  };
}

export const hasFilters = (s: ListState) => !!(s.q || s.status || s.tag || s.createdFrom || s.createdTo || s.showArchived);
