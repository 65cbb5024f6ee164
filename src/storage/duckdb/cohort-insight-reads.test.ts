import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planSync } from '../../services/syncs/sync-planner.js';
import { createDuckDBCohortInsightReads } from './cohort-insight-reads.js';
import { openDatabase, type Database } from './database.js';
import { IdentityMap } from './identity-map.js';

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
  // A map that lacks everyone: the samples are named by the users table then (people merged
  // away since the map was read); the next test names them from a loaded map.
  const reads = createDuckDBCohortInsightReads(db.reads, new IdentityMap());
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
  const reads = createDuckDBCohortInsightReads(db.reads, await IdentityMap.load(db.writer));
  const same = { sql: 'SELECT uid FROM users WHERE uid <= ?', params: [120] };
  for (const memberIds of [false, true]) {
    expect(await reads.membershipDiff('c1', same, 20, { memberIds })).toMatchObject({ current: 120, proposed: 120, added: 0, removed: 0, sampleAdded: [], sampleRemoved: [] });
    const none = await reads.membershipDiff('nobody', { sql: 'SELECT uid FROM users WHERE false', params: [] }, 20, { memberIds });
    expect(none).toMatchObject({ current: 0, proposed: 0, added: 0, removed: 0, sampleAdded: [], sampleRemoved: [] });
    if (memberIds) expect(none.memberIds).toEqual([]);
  }
});

describe('what each sync would send, counted in the engine against its acknowledged set', () => {
  // Its own store: one person's user id holds a newline (user ids may hold any character).
  let store: Database;
  const userId = (i: number) => (i === 7 ? 'u007\nsecond line' : `u${String(i).padStart(3, '0')}`);
  beforeAll(async () => {
    store = await openDatabase(':memory:');
    await store.writer.run(`INSERT INTO users SELECT i, CASE WHEN i = 7 THEN 'u007' || chr(10) || 'second line' ELSE 'u' || lpad(CAST(i AS VARCHAR), 3, '0') END, TIMESTAMP '2024-01-01' FROM range(1, 201) t(i)`);
    await store.writer.run(`INSERT INTO cohort_members SELECT 'c1', i FROM range(1, 121) t(i)`);
    // Every person's own id, and an alias (an earlier anonymous id) of member 3.
    await store.writer.run(`INSERT INTO identities SELECT user_id, uid FROM users UNION ALL SELECT 'u003-old', 3`);
    idMap = await IdentityMap.load(store.writer);
  });
  let idMap: IdentityMap;
  afterAll(() => store?.close());

  const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, k) => userId(from + k));
  // Proposed: the multiples of 3 and uid 7 (67 people). Sorted by user id, as the sync stores read them.
  const q = { sql: 'SELECT uid FROM users WHERE uid % ? = 0 OR uid = 7', params: [3] };
  const proposedIds = range(1, 200).filter((_, k) => (k + 1) % 3 === 0 || k + 1 === 7).sort();
  const SETS: Record<string, string[]> = {
    'the stored members (what a sync that kept up has)': range(1, 120).sort(),
    'exactly the proposed members': proposedIds,
    empty: [],
    'ids no person has, and an alias-like id of a member': ['ghost', 'u003-old', 'zz'],
    'a part of the members and the id with a newline': ['u003', 'u004', userId(7), 'u150', 'u198'].sort(),
    'everyone, ids not in ascending order': range(1, 200).reverse(),
  };

  for (const memberIds of [false, true]) {
    it(`every set's adds and removes are planSync's, from one run of the definition (${memberIds ? 'with' : 'without'} member ids)`, async () => {
      const reads = createDuckDBCohortInsightReads(store.reads, idMap);
      const sets = Object.values(SETS);
      const r = await reads.membershipDiff('c1', q, 5, { memberIds, against: sets });
      expect(r.proposed).toBe(proposedIds.length);
      expect(r.against).toHaveLength(sets.length);
      Object.entries(SETS).forEach(([label, set], i) => {
        const plan = planSync(proposedIds, set);
        expect(r.against![i], label).toEqual({ wouldAdd: plan.toAdd.length, wouldRemove: plan.toRemove.length });
      });
      // Spot checks that do not lean on planSync.
      expect(r.against![1]).toEqual({ wouldAdd: 0, wouldRemove: 0 });
      expect(r.against![2]).toEqual({ wouldAdd: proposedIds.length, wouldRemove: 0 });
      expect(r.against![3]).toEqual({ wouldAdd: proposedIds.length, wouldRemove: 3 });
      expect(r.against![4]).toEqual({ wouldAdd: proposedIds.length - 4, wouldRemove: 1 }); // u004 is not proposed
      // The counts and samples are the same as without sets.
      const { against, memberIds: ids, ...rest } = r;
      expect(against).toBeDefined();
      if (memberIds) expect(ids).toEqual(proposedIds);
      expect(rest).toEqual(await reads.membershipDiff('c1', q, 5));
    });
  }

  it('without sets asked for, none are answered; an empty list of sets answers an empty list', async () => {
    const reads = createDuckDBCohortInsightReads(store.reads, idMap);
    expect((await reads.membershipDiff('c1', q, 5)).against).toBeUndefined();
    expect((await reads.membershipDiff('c1', q, 5, { against: [] })).against).toEqual([]);
    expect((await reads.membershipDiff('c1', q, 5, { memberIds: true, against: [] })).against).toEqual([]);
  });
});

it('samples are named from the identity map and shown in code point order, as the engine sorts user ids', async () => {
  const store = await openDatabase(':memory:');
  try {
    // UTF-16 order would put the astral id (a surrogate pair, 0xD83D...) before U+FF5E.
    await store.writer.run(`INSERT INTO users VALUES (1, 'a' || chr(128512), TIMESTAMP '2024-01-01'), (2, 'a' || chr(65374), TIMESTAMP '2024-01-01'), (3, 'a~', TIMESTAMP '2024-01-01')`);
    await store.writer.run(`INSERT INTO identities SELECT user_id, uid FROM users`);
    const reads = createDuckDBCohortInsightReads(store.reads, await IdentityMap.load(store.writer));
    const q = { sql: 'SELECT uid FROM users WHERE uid > ?', params: [0] };
    const r = await reads.membershipDiff('none', q, 20);
    expect(r.sampleAdded).toEqual(['a~', 'a\uFF5E', 'a\u{1F600}']);
    expect((await reads.membershipDiff('none', q, 20, { memberIds: true })).memberIds).toEqual(r.sampleAdded);
  } finally {
    await store.close();
  }
});
