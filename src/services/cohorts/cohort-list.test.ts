import { describe, expect, it } from 'vitest';
import { listCohortsQuerySchema, type Cohort } from '../../schemas/cohort.js';
import { listCohorts } from './cohort-list.js';

const cohort = (id: string, name: string, status: Cohort['status'], tags: string[]): Cohort =>
  ({ id, name, description: '', status, tags, size: 1, createdAt: `2024-01-0${id}T00:00:00.000Z`, updatedAt: `2024-01-0${id}T00:00:00.000Z` }) as Cohort;

const all = [cohort('1', 'beta', 'active', ['VIP']), cohort('2', 'Alpha', 'archived', ['vip']), cohort('3', 'gamma', 'draft', [])];
const names = (query: Record<string, string>) => listCohorts(all, listCohortsQuerySchema.parse(query)).items.map((c) => c.name);

describe('listCohorts', () => {
  it('matches tags in any case', () => {
    expect(names({ tag: 'vip', sort: 'name' })).toEqual(['Alpha', 'beta']);
    expect(names({ tag: 'Vip ', sort: 'name' })).toEqual(['Alpha', 'beta']);
  });

  it('leaves archived cohorts out on request, unless a status is asked for', () => {
    expect(names({ sort: 'name' })).toEqual(['Alpha', 'beta', 'gamma']);
    expect(names({ sort: 'name', archived: 'exclude' })).toEqual(['beta', 'gamma']);
    expect(names({ sort: 'name', archived: 'exclude', status: 'archived' })).toEqual(['Alpha']);
  });

  it('sorts names A to Z by default, ignoring case', () => {
    expect(names({ sort: 'name' })).toEqual(['Alpha', 'beta', 'gamma']);
    expect(names({ sort: 'name', order: 'desc' })).toEqual(['gamma', 'beta', 'Alpha']);
  });
});
