import { afterAll, beforeAll, expect, it } from 'vitest';
import { createDuckDBCohortInsightReads } from './cohort-insight-reads.js';
import { openDatabase, type Database } from './database.js';
import type { IdentityMap } from './identity-map.js';

/** The diff's counts and samples, with and without every member's id (the two ways the service asks). */
let db: Database;
beforeAll(async () => {
  db = await openDatabase(':memory:');
  // 200 people; stored members: uid 1..120; proposed: the even uids 2..200.
  await db.writer.run(`INSERT INTO users SELECT i, 'u' || lpad(CAST(i AS VARCHAR), 3, '0'), TIMESTAMP '2024-01-01' FROM range(1, 201) t(i)`);
  await db.writer.run(`INSERT INTO cohort_members SELECT 'c1', i FROM range(1, 121) t(i)`);
});
afterAll(() => db?.close());

const uidsOf = (ids: string[]) => ids.map((u) => Number(u.slice(1)));

it('counts the change once, samples at most N of each side spread over it (not the lowest ids), and agrees with the member-id path', async () => {
  const reads = createDuckDBCohortInsightReads(db.reads, {} as IdentityMap);
  const q = { sql: 'SELECT uid FROM users WHERE uid % ? = 0', params: [2] };
  const plain = await reads.membershipDiff('c1', q, 20);
  const withIds = await reads.membershipDiff('c1', q, 20, { memberIds: true });
  // Added: even 122..200 (40); removed: odd 1..119 (60).
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
  expect(memberIds).toEqual(Array.from({ length: 100 }, (_, i) => `u${String(2 * (i + 1)).padStart(3, '0')}`));
});

it('an empty change and an empty cohort', async () => {
  const reads = createDuckDBCohortInsightReads(db.reads, {} as IdentityMap);
  const same = { sql: 'SELECT uid FROM users WHERE uid <= ?', params: [120] };
  for (const memberIds of [false, true]) {
    expect(await reads.membershipDiff('c1', same, 20, { memberIds })).toMatchObject({ current: 120, proposed: 120, added: 0, removed: 0, sampleAdded: [], sampleRemoved: [] });
    const none = await reads.membershipDiff('nobody', { sql: 'SELECT uid FROM users WHERE false', params: [] }, 20, { memberIds });
    expect(none).toMatchObject({ current: 0, proposed: 0, added: 0, removed: 0, sampleAdded: [], sampleRemoved: [] });
    if (memberIds) expect(none.memberIds).toEqual([]);
  }
});
