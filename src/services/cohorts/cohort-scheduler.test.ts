import { describe, expect, it } from 'vitest';
import type { Cohort } from '../../schemas/cohort.js';
import { createMemoryJobLeases } from '../../storage/memory/job-leases.js';
import { LeaseKeeper } from '../job-lease.js';
import { createCohortScheduler } from './cohort-scheduler.js';
import type { CohortService } from './cohort-service.js';

const NOW = new Date('2026-01-01T12:00:00Z');

/** The part of the cohort service the scheduler uses, over one shared "store" of cohorts. */
function fakeCohorts(list: Cohort[], failing = new Set<string>()) {
  const byId = new Map(list.map((c) => [c.id, structuredClone(c)]));
  const computed: string[] = [];
  const service = {
    all: async () => [...byId.values()].map((c) => structuredClone(c)),
    get: async (id: string) => structuredClone(byId.get(id)!),
    refreshMany: async (ids: string[]) => {
      computed.push(...ids);
      await new Promise((r) => setTimeout(r, 5)); // a pass takes a while: the other process ticks meanwhile
      for (const id of ids) if (!failing.has(id)) byId.get(id)!.computedAt = NOW.toISOString();
      return new Map(ids.map((id) => [id, failing.has(id) ? new Error(`${id} failed`) : structuredClone(byId.get(id)!)]));
    },
  };
  return { service: service as unknown as CohortService, computed };
}

const cohort = (id: string): Cohort =>
  ({
    id,
    name: id,
    kind: 'dynamic',
    refresh: 'hourly',
    status: 'active',
    computedAt: null,
    calculation: { state: 'idle' },
  }) as unknown as Cohort;

describe('cohort scheduler with leases', () => {
  it('two processes ticking together refresh each due cohort once', async () => {
    const { service, computed } = fakeCohorts([cohort('c1'), cohort('c2'), cohort('c3')]);
    const leases = createMemoryJobLeases();
    const proc = (owner: string) => createCohortScheduler(service, { now: () => NOW, leases: new LeaseKeeper(leases, { owner }) });
    const [a, b] = [proc('A'), proc('B')];
    const done = (await Promise.all([a.tick(), b.tick(), a.tick()])).flat();
    expect(done.sort()).toEqual(['c1', 'c2', 'c3']);
    expect(computed.sort()).toEqual(['c1', 'c2', 'c3']);
    // Leases are released: nothing is due any more, and nothing is held.
    expect((await Promise.all([a.tick(), b.tick()])).flat()).toEqual([]);
    for (const id of ['c1', 'c2', 'c3']) expect(await leases.held(`cohort:${id}`)).toBe(false);
  });

  it('refreshes the due cohorts in one pass; a failed one is logged and stays due', async () => {
    const { service, computed } = fakeCohorts([cohort('d1'), cohort('d2'), { ...cohort('m'), refresh: 'manual' } as Cohort], new Set(['d2']));
    const logged: string[] = [];
    const scheduler = createCohortScheduler(service, { now: () => NOW, log: (m) => void logged.push(m) });
    expect(await scheduler.tick()).toEqual(['d1']);
    expect(computed).toEqual(['d1', 'd2']);
    expect(logged).toEqual(['scheduled refresh of cohort d2 failed']);
    expect(await scheduler.tick()).toEqual([]);
    expect(computed).toEqual(['d1', 'd2', 'd2']);
  });
});
