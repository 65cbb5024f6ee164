import { describe, expect, it } from 'vitest';
import { apiParams, listSearch, readListState } from './list-params';

describe('cohort list URL state', () => {
  it('round-trips through the query string, leaving defaults out', () => {
    const s = readListState(new URLSearchParams('tag=VIP&sort=name&archived=show'));
    expect(s).toMatchObject({ tag: 'VIP', sort: 'name', order: 'asc', showArchived: true });
    expect(listSearch(s)).toBe('?tag=VIP&sort=name&archived=show');
    expect(listSearch(readListState(new URLSearchParams('')))).toBe('');
  });

  it('sorts by name A to Z first and hides archived cohorts unless asked', () => {
    const s = readListState(new URLSearchParams('sort=name'));
    expect(apiParams(s)).toMatchObject({ sort: 'name', order: 'asc', archived: 'exclude' });
    expect(apiParams({ ...s, status: 'archived' }).archived).toBe('include');
    expect(readListState(new URLSearchParams('sort=bogus&order=up'))).toMatchObject({ sort: 'updatedAt', order: 'desc' });
  });
});
