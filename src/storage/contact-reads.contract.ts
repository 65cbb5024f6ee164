/**
 * The contract of the ContactReads port, run against every engine's adapter
 * loaded with the fixture of test-support/reads-fixture.ts (one written-out
 * answer per question, the same for every engine).
 */
import { expect, it } from 'vitest';
import type { ContactPageQuery } from './contact-reads';
import type { ReadsSubject } from './test-support/reads-subject';

const t = (day: number, hour = 0) => new Date(Date.UTC(2024, 2, day, hour));

const ROWS = {
  alice: { userId: 'alice', properties: { email: 'alice@x.io', plan: 'pro' }, firstSeen: t(1), lastSeen: t(4), eventCount: 2, cohortIds: ['C1'] },
  bob: { userId: 'bob', properties: { age: 30, plan: 'free' }, firstSeen: t(2), lastSeen: t(2), eventCount: 1, cohortIds: [] },
  carol: { userId: 'carol', properties: { address: { city: 'Lyon' }, plan: 'Pro' }, firstSeen: t(5), lastSeen: t(11), eventCount: 2, cohortIds: [] },
  dave: { userId: 'dave', properties: { nick: '\u212Aelvin', plan: 'free', vip: true }, firstSeen: null, lastSeen: null, eventCount: 0, cohortIds: [] },
  mia: { userId: 'mia', properties: { plan: 'trial', source: 'ad' }, firstSeen: t(6), lastSeen: t(12), eventCount: 4, cohortIds: ['C1', 'C2'] },
  rita: { userId: 'rita', properties: { plan: 'Pro Max' }, firstSeen: t(3), lastSeen: t(10), eventCount: 2, cohortIds: [] },
};

function pages(...lists: string[][]): () => AsyncIterable<string[]> {
  return async function* () {
    for (const l of lists) yield l;
  };
}

export function contactReadsContract(subject: () => ReadsSubject): void {
  const page = (q: Partial<ContactPageQuery>) => subject().contacts.page({ limit: 10, withTotal: true, ...q });
  const ids = async (q: Partial<ContactPageQuery>) => {
    const r = await page(q);
    return { ids: r.rows.map((x) => x.userId), total: r.total };
  };

  it('pages people by shown user id with their current traits, activity and cohorts', async () => {
    expect(await page({ limit: 2 })).toEqual({ rows: [ROWS.alice, ROWS.bob], total: 6 });
    expect(await page({ afterUserId: 'bob', withTotal: false })).toEqual({ rows: [ROWS.carol, ROWS.dave, ROWS.mia, ROWS.rita] });
    expect(await page({ afterUserId: 'rita', withTotal: false })).toEqual({ rows: [] });
  });

  it('searches user ids and current trait values in any case (history and cleared values do not match)', async () => {
    expect(await ids({ search: 'PRO' })).toEqual({ ids: ['alice', 'carol', 'rita'], total: 3 });
    // The match is on a trait written under the merged-away key.
    expect(await ids({ search: 'ad' })).toEqual({ ids: ['mia'], total: 1 });
    expect(await ids({ search: 'RIT' })).toEqual({ ids: ['rita'], total: 1 });
    expect(await ids({ search: 'anon' })).toEqual({ ids: [], total: 0 });
    expect(await ids({ search: 'de' })).toEqual({ ids: [], total: 0 });
    expect(await ids({ search: '30' })).toEqual({ ids: ['bob'], total: 1 });
    expect(await ids({ search: 'lyon' })).toEqual({ ids: ['carol'], total: 1 });
    expect(await ids({ search: 'KELV' })).toEqual({ ids: ['dave'], total: 1 });
    // The service asks for the total with the first page only (no cursor).
    expect(await ids({ search: 'pro', limit: 1, afterUserId: 'alice', withTotal: false })).toEqual({ ids: ['carol'], total: undefined });
  });

  it("filters by a saved cohort's stored members (a merged-away key's membership counts for its person)", async () => {
    expect(await ids({ cohortId: 'C1' })).toEqual({ ids: ['alice', 'mia'], total: 2 });
    expect(await ids({ cohortId: 'C2' })).toEqual({ ids: ['mia'], total: 1 });
    expect(await ids({ cohortId: 'none' })).toEqual({ ids: [], total: 0 });
  });

  it('filters by streamed pages of user ids, with the other filters', async () => {
    expect(await ids({ inUsers: pages(['mia', 'zed'], [], ['alice', 'anon-m']) })).toEqual({ ids: ['alice', 'mia'], total: 2 });
    expect(await ids({ inUsers: pages(['mia', 'alice', 'carol']), search: 'pro' })).toEqual({ ids: ['alice', 'carol'], total: 2 });
    expect(await ids({ inUsers: pages() })).toEqual({ ids: [], total: 0 });
  });

  it("filters by a compiled query of the engine's dialect (rows of merged-away keys count for their person)", async () => {
    const inSet = subject().compile({ match: 'all', rules: [{ type: 'event', event: 'view' }] });
    expect(await ids({ inSet })).toEqual({ ids: ['alice', 'bob', 'carol', 'mia', 'rita'], total: 5 });
    expect(await ids({ inSet, afterUserId: 'carol', limit: 1, withTotal: false })).toEqual({ ids: ['mia'], total: undefined });
    expect(await ids({ inSet, cohortId: 'C1', search: 'trial' })).toEqual({ ids: ['mia'], total: 1 });
  });

  it('stops the search in the engine when the signal aborts, and answers the next request', async (ctx) => {
    const endless = subject().endlessUids;
    if (!endless) return ctx.skip();
    const c = new AbortController();
    setTimeout(() => c.abort(), 300);
    await expect(subject().contacts.page({ inSet: { sql: endless, params: [] }, limit: 10, withTotal: true }, c.signal)).rejects.toThrow(/interrupt/i);
    expect((await page({ limit: 1 })).rows.map((r) => r.userId)).toEqual(['alice']);
  });
}
