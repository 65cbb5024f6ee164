import { describe, expect, it } from 'vitest';
import { BOOTSTRAP_PRINCIPAL } from '../schemas/principal.js';
import type { ContactPageQuery, ContactReads } from '../storage/contact-reads.js';
import type { CardRecord } from '../storage/workflow-store.js';
import { createContactsService, STEP_CARD_PAGE, type ContactsDeps } from './contacts.js';

/**
 * The contacts service with in-memory fakes: the step filter streams every
 * card of the step (in pages of STEP_CARD_PAGE) into the contact reads, and
 * each shown membership gets its step from the workflow store.
 */
describe('contacts service: workflow steps through the WorkflowStore', () => {
  const n = STEP_CARD_PAGE * 2 + 5;
  const ids = Array.from({ length: n }, (_, i) => `u${String(i).padStart(6, '0')}`);
  const cardsOf = (stepId: string): CardRecord[] => ids.map((userId, i) => ({ userId, stepId: i % 2 ? 'st_b' : 'st_a', movedAt: new Date(0), movedBy: null })).filter((c) => c.stepId === stepId);
  let cardCalls = 0;

  const workflows: ContactsDeps['workflows'] = {
    steps: async (cohortId) => (cohortId === 'c1' ? ['st_a', 'st_b'].map((id, position) => ({ id, name: id.toUpperCase(), position, action: null })) : []),
    cards: async (cohortId, q) => {
      cardCalls++;
      const after = q.afterUserId;
      return cardsOf(q.stepId!).filter((c) => after === undefined || c.userId > after).slice(0, q.limit);
    },
    stepOfUsers: async (cohortIds, userIds) =>
      new Map(cohortIds.filter((c) => c === 'c1').map((c) => [c, new Map(userIds.map((u) => [u, { id: 'st_a', name: 'ST_A' }]))])),
  };
  let scoped: string[] = [];
  const reads: ContactReads = {
    async page(q: ContactPageQuery) {
      scoped = [];
      if (q.inUsers) for await (const page of q.inUsers()) scoped.push(...page);
      const rows = scoped.slice(0, q.limit).map((userId) => ({ userId, properties: {}, firstSeen: null, lastSeen: null, eventCount: 0, cohortIds: ['c1', 'hidden'] }));
      return { rows, total: q.withTotal ? scoped.length : undefined };
    },
  };
  const service = createContactsService({
    reads,
    workflows,
    compile: () => ({ sql: 'SELECT 1', params: [] }),
    cohortNames: async (list) => list.filter((id) => id === 'c1').map((id) => ({ id, name: 'Pipeline' })),
    visibleCohorts: async () => 'all',
  });

  it('streams every card of the step, in pages, and shows each membership’s step', async () => {
    cardCalls = 0;
    const page = await service.page(BOOTSTRAP_PRINCIPAL, { cohortId: 'c1', stepId: 'st_a', limit: '2' });
    const expected = cardsOf('st_a').map((c) => c.userId);
    expect(scoped).toEqual(expected);
    expect(cardCalls).toBe(Math.ceil(expected.length / STEP_CARD_PAGE) + (expected.length % STEP_CARD_PAGE ? 0 : 1));
    expect(page.total).toBe(expected.length);
    expect(page.items.map((i) => i.cohorts)).toEqual([
      [{ id: 'c1', name: 'Pipeline', stepId: 'st_a', stepName: 'ST_A' }],
      [{ id: 'c1', name: 'Pipeline', stepId: 'st_a', stepName: 'ST_A' }],
    ]);
  });

  it('an unknown step of the cohort is a 404 before anything is read', async () => {
    cardCalls = 0;
    await expect(service.page(BOOTSTRAP_PRINCIPAL, { cohortId: 'c1', stepId: 'st_x' })).rejects.toMatchObject({ code: 'not_found' });
    expect(cardCalls).toBe(0);
  });
});
