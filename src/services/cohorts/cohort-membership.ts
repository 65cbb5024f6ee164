import type { CohortStore } from '../../storage/cohort-store.js';
import type { MembershipStore } from '../../storage/membership-store.js';
import type { EventStore } from '../../storage/event-store.js';
import type { MembershipSource } from '../syncs/membership-source.js';
import type { CohortService } from './cohort-service.js';

/**
 * The cohort engine's side of the sync engine: membership as of a run's
 * start, recomputed when the stored one is older (sync-protocols.md, Freshness).
 */
export function createMembershipSource(cohorts: CohortService, store: CohortStore, members: MembershipStore, events: EventStore): MembershipSource {
  /** Its references are checked now, not only when they were saved (api.md, Security rules); recomputed when older than `asOf`. */
  async function fresh(cohortId: string, asOf: Date): Promise<void> {
    const c = await cohorts.get(cohortId);
    await cohorts.assertUsable(cohortId);
    if (c.kind === 'dynamic' && (!c.computedAt || Date.parse(c.computedAt) < asOf.getTime())) {
      await cohorts.compute(cohortId, asOf);
    }
  }

  return {
    async membersAsOf(cohortId, asOf) {
      await fresh(cohortId, asOf);
      const out: string[] = [];
      for await (const page of members.streamMembers(cohortId)) out.push(...page);
      return out;
    },
    async *memberPagesAsOf(cohortId, asOf) {
      await fresh(cohortId, asOf);
      // Ordered by user id in the engine's binary collation: code point order.
      yield* members.streamMembers(cohortId);
    },
    async cohort(cohortId) {
      const c = await store.get(cohortId);
      return c ? { id: c.id, name: c.name } : null;
    },
    userProperties: (userIds) => events.userProperties(userIds),
  };
}
