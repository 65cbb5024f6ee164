import type { CohortRef } from '../../../destinations/destination.js';
import { compareCodePoints } from '../plan-stream.js';
import type { MembershipSource } from '../membership-source.js';

/** A membership source over plain maps; records the asOf of every read. */
export class FakeMembership implements MembershipSource {
  readonly cohorts = new Map<string, { name: string; members: string[] }>();
  readonly properties = new Map<string, Record<string, unknown>>();
  readonly asOfCalls: { cohortId: string; asOf: Date }[] = [];

  setCohort(id: string, name: string, members: string[]): this {
    this.cohorts.set(id, { name, members: [...members] });
    return this;
  }
  async membersAsOf(cohortId: string, asOf: Date): Promise<string[]> {
    this.asOfCalls.push({ cohortId, asOf });
    const c = this.cohorts.get(cohortId);
    if (!c) throw new Error(`no cohort ${cohortId}`);
    return [...c.members];
  }
  /** The members sorted (as the stores hand them out), in small pages so merges cross page ends. */
  async *memberPagesAsOf(cohortId: string, asOf: Date): AsyncGenerator<string[]> {
    const all = (await this.membersAsOf(cohortId, asOf)).sort(compareCodePoints);
    for (let i = 0; i < all.length; i += 4) yield all.slice(i, i + 4);
  }
  async cohort(cohortId: string): Promise<CohortRef | null> {
    const c = this.cohorts.get(cohortId);
    return c ? { id: cohortId, name: c.name } : null;
  }
  async userProperties(userIds: string[]): Promise<Map<string, Record<string, unknown>>> {
    const out = new Map<string, Record<string, unknown>>();
    for (const u of userIds) {
      const p = this.properties.get(u);
      if (p) out.set(u, { ...p });
    }
    return out;
  }
}

export const userIds = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `u${String(i + from).padStart(5, '0')}`);
