/**
 * ClickHouse member sets and insight reads, on the test server and on chdb:
 * versions become visible only when committed, compiled cohort references read
 * the committed set, user ids resolve through aliases and merges, and the diff
 * counts and samples as DuckDB's does (the same cases as duckdb/cohort-insight-reads.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileDefinition } from '../../cohort/cohort-compiler';
import { clickhouseDialect, toClickHouseSql } from '../../cohort/dialects/clickhouse';
import { bind, sql } from '../../cohort/dialect';
import type { Definition } from '../../schemas/definition';
import type { ClickHouseClient } from './client';
import { createClickHouseCohortInsightReads } from './cohort-insight-reads';
import { ClickHouseEventWriter } from './event-writer';
import { membersOf, nextVersion, text, versions, writeVersion } from './member-sets-sql';
import { createClickHouseMembershipStore } from './membership-store';
import { migrateClickHouse } from './migrations';
import { freshClickHouseDatabase, noClickHouse } from './test-support/ch-test-db';
import { openChdbClient } from './test-support/chdb-client';

const pad = (i: number) => `u${String(i).padStart(3, '0')}`;
const uidsOf = (ids: string[]) => ids.map((u) => Number(u.slice(1)));
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

function suite(open: () => Promise<ClickHouseClient>) {
  let client: ClickHouseClient;
  beforeAll(async () => {
    client = await open();
    await migrateClickHouse(client);
    const writer = await ClickHouseEventWriter.open(client, []);
    // 200 people u001..u200 (uid i); static list 'c1': uid 1..120 (written by the writer, no head).
    await writer.users(range(1, 200).map((uid) => ({ uid, userId: pad(uid) })));
    await writer.addMembers('c1', range(1, 120));
  });
  afterAll(() => client?.close());

  const evens = { sql: 'SELECT uid FROM (SELECT DISTINCT uid FROM users) WHERE uid % ? = 0', params: [2] };
  const upTo = (n: number) => ({ sql: 'SELECT uid FROM (SELECT DISTINCT uid FROM users) WHERE uid <= ?', params: [n] });
  const referenced = async (cohortId: string) => {
    const def: Definition = { match: 'all', rules: [{ type: 'cohort', cohortId }] };
    const q = compileDefinition(def, { asOf: new Date(), resolveCohort: () => ({ kind: 'static' }) }, clickhouseDialect);
    return (await client.query<{ uid: string }>(toClickHouseSql(q))).map((r) => Number(r.uid)).sort((a, b) => a - b);
  };

  it('diff: counts the change once, samples at most N of each side spread over it, and agrees with the member-id path', async () => {
    const reads = createClickHouseCohortInsightReads(client);
    const plain = await reads.membershipDiff('c1', evens, 20);
    const withIds = await reads.membershipDiff('c1', evens, 20, { memberIds: true });
    expect(plain).toMatchObject({ current: 120, proposed: 100, added: 40, removed: 60 });
    expect(plain.memberIds).toBeUndefined();
    for (const [sample, ok] of [[plain.sampleAdded, (u: number) => u > 120 && u % 2 === 0], [plain.sampleRemoved, (u: number) => u <= 120 && u % 2 === 1]] as const) {
      expect(sample).toHaveLength(20);
      expect([...sample].sort()).toEqual(sample);
      expect(uidsOf(sample).every(ok)).toBe(true);
    }
    expect(uidsOf(plain.sampleRemoved)).not.toEqual(Array.from({ length: 20 }, (_, i) => 2 * i + 1));
    const { memberIds, ...rest } = withIds;
    expect(rest).toEqual(plain);
    expect(memberIds).toEqual(range(1, 100).map((i) => pad(2 * i)));
  });

  it('diff against sets of user ids (what each sync would send): the sizes planSync would give, without member ids unless asked', async () => {
    const reads = createClickHouseCohortInsightReads(client);
    // Members of `evens`: u002, u004, ..., u200 (100). Set 1: u001..u010 plus an unknown id; set 2: empty.
    const set1 = [...range(1, 10).map(pad), 'not-a-user'];
    const r = await reads.membershipDiff('c1', evens, 5, { against: [set1, []] });
    expect(r.memberIds).toBeUndefined();
    expect(r.against).toEqual([
      { wouldAdd: 100 - 5, wouldRemove: 5 + 1 },
      { wouldAdd: 100, wouldRemove: 0 },
    ]);
    expect(r).toMatchObject({ current: 120, proposed: 100, added: 40, removed: 60 });
  });

  it('diff: an empty change and an empty cohort', async () => {
    const reads = createClickHouseCohortInsightReads(client);
    for (const memberIds of [false, true]) {
      expect(await reads.membershipDiff('c1', upTo(120), 20, { memberIds })).toMatchObject({ current: 120, proposed: 120, added: 0, removed: 0, sampleAdded: [], sampleRemoved: [] });
      const none = await reads.membershipDiff('nobody', upTo(0), 20, { memberIds });
      expect(none).toMatchObject({ current: 0, proposed: 0, added: 0, removed: 0, sampleAdded: [], sampleRemoved: [] });
      if (memberIds) expect(none.memberIds).toEqual([]);
    }
  });

  it('a version being written is read by nobody until its head commits it; references then read it whole', async () => {
    const store = createClickHouseMembershipStore(client);
    expect(await store.replaceMembers('v1', upTo(10))).toEqual({ size: 10, entered: 10, exited: 0 });
    expect(await referenced('v1')).toEqual(range(1, 10));
    // A writer that died after writing its rows, before the commit: invisible.
    const { highest } = await versions(client, 'v1');
    await writeVersion(client, 'v1', nextVersion(highest), sql`SELECT uid FROM (SELECT DISTINCT uid FROM users) WHERE uid > ${bind(150)}`);
    expect(await referenced('v1')).toEqual(range(1, 10));
    expect(await store.memberCount('v1')).toBe(10);
    // The next replace builds on the committed set, not on the dead version.
    expect(await store.replaceMembers('v1', upTo(12))).toEqual({ size: 12, entered: 2, exited: 0 });
    expect(await referenced('v1')).toEqual(range(1, 12));
    // Sets written by the writer (no head) are read as before, and taken over by the store.
    expect(await referenced('c1')).toEqual(range(1, 120));
    expect(await store.removeMembers('c1', ['u001', 'u200', 'nobody'])).toEqual({ removed: 1 });
    expect(await referenced('c1')).toEqual(range(2, 120));
    await store.deleteMembers('c1');
    expect(await referenced('c1')).toEqual([]);
    expect(await store.cohortIds()).not.toContain('c1');
    const [{ n }] = await client.query<{ n: string }>(text(sql`SELECT toString(count()) AS n FROM (${membersOf('c1')})`));
    expect(n).toBe('0');
  });

  it('refreshMembers recomputes the whole set: the same result as replaceMembers, reevaluated null', async () => {
    const store = createClickHouseMembershipStore(client);
    const inc = { asOf: new Date(), fingerprint: 'f', compile: () => upTo(5), band: () => [sql`SELECT 0 AS uid`] };
    expect(await store.refreshMembers('r1', upTo(5), inc)).toEqual({ size: 5, entered: 5, exited: 0, reevaluated: null });
    expect(await store.refreshMembers('r1', upTo(3), { ...inc, compile: () => upTo(3) })).toEqual({ size: 3, entered: 0, exited: 2, reevaluated: null });
    expect(await referenced('r1')).toEqual(range(1, 3));
  });

  it('user ids resolve through aliases and merges', async () => {
    // Person 300 was anonymous (anon-300) and is now known-300; 301 (dropped, device-9) merged into it.
    await client.insert('users', [{ uid: 300, user_id: 'known-300', created_at: 0, version: 2 }]);
    await client.insert('identities', [{ anonymous_id: 'device-9', uid: 301, ts: 1 }, { anonymous_id: 'anon-300', uid: 300, ts: 1 }]);
    await client.insert('users', [{ uid: 301, user_id: 'dropped', created_at: 0, version: 1 }]);
    await client.insert('person_merges', [{ from_uid: 301, into_uid: 300, version: 1 }]);
    const reads = createClickHouseCohortInsightReads(client);
    expect(await reads.uidOf('known-300')).toBe(300);
    expect(await reads.uidOf('anon-300')).toBe(300);
    expect(await reads.uidOf('device-9')).toBe(300);
    expect(await reads.uidOf('dropped')).toBe(300);
    expect(await reads.uidOf('u007')).toBe(7);
    expect(await reads.uidOf('nobody')).toBeUndefined();
    const store = createClickHouseMembershipStore(client);
    expect(await store.addMembers('s9', ['device-9', 'known-300', 'u007'])).toEqual({ added: 2, alreadyMember: 0, unknown: [] });
    expect(await store.membersPage('s9', 10)).toEqual(['known-300', 'u007']);
  });
}

describe.skipIf(noClickHouse())('ClickHouse member sets and insight reads on the server', () => {
  suite(freshClickHouseDatabase);

  it('an aborted preview stops its query on the server', async () => {
    const client = await freshClickHouseDatabase();
    try {
      await migrateClickHouse(client);
      const store = createClickHouseMembershipStore(client);
      // Minutes of hashing, unless killed.
      const slow = { sql: 'SELECT number AS uid FROM numbers(20000000000) WHERE cityHash64(number) % 1000000007 = 0', params: [] };
      const ac = new AbortController();
      const started = Date.now();
      const running = store.preview(slow, 5, 0, ac.signal);
      await expect.poll(async () => (await client.query<{ n: string }>("SELECT toString(count()) AS n FROM system.processes WHERE query LIKE '%numbers(20000000000)%' AND query NOT LIKE '%system.processes%'"))[0].n).toBe('1');
      ac.abort();
      await expect(running).rejects.toThrow();
      await expect
        .poll(async () => (await client.query<{ n: string }>("SELECT toString(count()) AS n FROM system.processes WHERE query LIKE '%numbers(20000000000)%' AND query NOT LIKE '%system.processes%'"))[0].n, { timeout: 10_000 })
        .toBe('0');
      expect(Date.now() - started).toBeLessThan(15_000);
    } finally {
      await client.close();
    }
  }, 30_000);
});
describe('ClickHouse member sets and insight reads on chdb', () => suite(openChdbClient));
