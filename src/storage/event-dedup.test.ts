/**
 * Dedup port contract on PostgreSQL with two "processes" (separate pools on one
 * schema): a claim held by an open transaction makes the other wait; committed
 * it is a duplicate, rolled back it is stored; claims expire after 7 days.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { DEDUP_WINDOW_MS, type EventDedup } from './event-dedup.js';
import type { IdentityStore } from './identity-store.js';
import { openPostgres, type PgDatabase } from './postgres/database.js';
import { createPgEventDedup } from './postgres/event-dedup.js';
import { PG_IDENTITY_MIGRATIONS } from './postgres/identity-migrations.js';
import { createPgIdentityStore } from './postgres/identity-store.js';
import { freshPgSchema, noPostgres, PG_URL } from './postgres/test-support/pg-test-db.js';

const pools: PgDatabase[] = [];
afterAll(async () => {
  await Promise.all(pools.splice(0).map((d) => d.close().catch(() => undefined)));
});

type Proc = { ids: IdentityStore; dedup: EventDedup; db: PgDatabase };
async function twoProcesses(): Promise<[Proc, Proc]> {
  const schema = freshPgSchema();
  const open = async (): Promise<Proc> => {
    const db = await openPostgres(PG_URL!, [PG_IDENTITY_MIGRATIONS], { schema, max: 4 });
    pools.push(db);
    return { db, ids: createPgIdentityStore(db), dedup: createPgEventDedup(db) };
  };
  const a = await open();
  return [a, await open()];
}

const settled = async (p: Promise<unknown>) => {
  let done = false;
  void p.then(() => (done = true), () => (done = true));
  await new Promise((r) => setTimeout(r, 200));
  return done;
};

describe.skipIf(noPostgres())('EventDedup contract: PostgreSQL', () => {
  it('claims a key once; repeats in the same group and later groups are duplicates', async () => {
    const [a] = await twoProcesses();
    const tx = await a.ids.begin();
    expect(await a.dedup.claim(tx, ['1|m1', '1|m2', '1|m1'])).toEqual([true, true, false]);
    await tx.commit();
    const tx2 = await a.ids.begin();
    expect(await a.dedup.claim(tx2, ['1|m2', '1|m3'])).toEqual([false, true]);
    await tx2.commit();
  });

  it('makes a concurrent repeat wait for the first claim: a duplicate once it committed', async () => {
    const [a, b] = await twoProcesses();
    const txA = await a.ids.begin();
    expect(await a.dedup.claim(txA, ['7|x'])).toEqual([true]);
    const txB = await b.ids.begin();
    const claimB = b.dedup.claim(txB, ['7|x']);
    expect(await settled(claimB)).toBe(false);
    await txA.commit();
    expect(await claimB).toEqual([false]);
    await txB.commit();
  });

  it('gives the key to the repeat when the first claim rolled back (its insert failed)', async () => {
    const [a, b] = await twoProcesses();
    const txA = await a.ids.begin();
    await a.dedup.claim(txA, ['7|y']);
    const txB = await b.ids.begin();
    const claimB = b.dedup.claim(txB, ['7|y']);
    expect(await settled(claimB)).toBe(false);
    await txA.rollback();
    expect(await claimB).toEqual([true]);
    await txB.commit();
  });

  it('does not deadlock when two groups claim overlapping keys in opposite orders', async () => {
    const [a, b] = await twoProcesses();
    const keys = Array.from({ length: 50 }, (_, i) => `k${i}`);
    const run = async (p: Proc, ks: string[]) => {
      const tx = await p.ids.begin();
      const r = await p.dedup.claim(tx, ks);
      await tx.commit();
      return r.filter(Boolean).length;
    };
    const [na, nb] = await Promise.all([run(a, keys), run(b, [...keys].reverse())]);
    expect(na + nb).toBe(50);
  });

  it('forgets claims after 7 days', async () => {
    const [a] = await twoProcesses();
    const tx = await a.ids.begin();
    await a.dedup.claim(tx, ['old', 'new']);
    await tx.commit();
    await a.db.query("UPDATE event_claims SET claimed_at = now() - $1 * interval '1 millisecond' - interval '1 minute' WHERE key = 'old'", [DEDUP_WINDOW_MS]);
    // An expired claim is taken again even before pruning.
    const tx2 = await a.ids.begin();
    expect(await a.dedup.claim(tx2, ['old', 'new'])).toEqual([true, false]);
    await tx2.commit();
    await a.db.query("UPDATE event_claims SET claimed_at = now() - $1 * interval '1 millisecond' - interval '1 minute' WHERE key = 'old'", [DEDUP_WINDOW_MS]);
    expect(await a.dedup.prune()).toBe(1);
    expect(await a.db.query('SELECT key FROM event_claims')).toEqual([{ key: 'new' }]);
  });
});
