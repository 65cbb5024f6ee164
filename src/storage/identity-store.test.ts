/**
 * Identity port contract, on PostgreSQL: keys across processes ("processes" are
 * separate pools on one database), the four alias cases of the embedded store,
 * chains of merges flattened, and changes visible to others only on commit.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { IdentityStore } from './identity-store.js';
import type { WriteTx } from './write-tx.js';
import { createPgIdentityStore } from './postgres/identity-store.js';
import { importPgIdentity } from './postgres/identity-import.js';
import { PG_IDENTITY_MIGRATIONS } from './postgres/identity-migrations.js';
import { openPostgres } from './postgres/database.js';
import { freshPgDatabase, freshPgSchema, noPostgres, PG_URL } from './postgres/test-support/pg-test-db.js';

/** Two stores on one fresh schema, each with its own pool: two processes. */
async function twoProcesses(): Promise<[IdentityStore, IdentityStore]> {
  const schema = freshPgSchema();
  const open = () => openPostgres(PG_URL!, [PG_IDENTITY_MIGRATIONS], { schema, max: 4 });
  // One after the other: CREATE SCHEMA IF NOT EXISTS races with itself.
  const a = await open();
  const b = await open();
  afterClose.push(a, b);
  return [createPgIdentityStore(a), createPgIdentityStore(b)];
}
const afterClose: { close(): Promise<void> }[] = [];

async function inTx<T>(s: IdentityStore, fn: (tx: WriteTx) => Promise<T>): Promise<T> {
  const tx = await s.begin();
  try {
    const out = await fn(tx);
    await tx.commit();
    return out;
  } catch (err) {
    await tx.rollback();
    throw err;
  }
}

describe.skipIf(noPostgres())('IdentityStore contract: PostgreSQL', () => {
  const one = async () => createPgIdentityStore(await freshPgDatabase([PG_IDENTITY_MIGRATIONS]));

  it('creates unknown ids in bulk, keeps known ones, and shows each by its own id', async () => {
    const s = await one();
    const r1 = await inTx(s, (tx) => s.resolve(tx, ['a', 'b', 'a']));
    expect(r1.created.map((p) => p.userId).sort()).toEqual(['a', 'b']);
    const r2 = await inTx(s, (tx) => s.resolve(tx, ['b', 'c']));
    expect(r2.uids.get('b')).toBe(r1.uids.get('b'));
    expect(r2.created).toEqual([{ uid: r2.uids.get('c'), userId: 'c' }]);
    expect(new Set([r1.uids.get('a'), r1.uids.get('b'), r2.uids.get('c')]).size).toBe(3);
    expect(await s.userIds([r1.uids.get('a')!, r2.uids.get('c')!])).toEqual(new Map([[r1.uids.get('a')!, 'a'], [r2.uids.get('c')!, 'c']]));
    expect(await s.lookup(['a', 'zz'])).toEqual(new Map([['a', r1.uids.get('a')!]]));
  });

  it('rolls back people created in a failed transaction', async () => {
    const s = await one();
    const tx = await s.begin();
    await s.resolve(tx, ['ghost']);
    await tx.rollback();
    expect(await s.lookup(['ghost'])).toEqual(new Map());
  });

  it('prepares people outside the write; a write acknowledges them once it commits', async () => {
    const s = await one();
    await s.prepare(['p1', 'p2']);
    const uid = (await s.lookup(['p1'])).get('p1')!;
    const tx = await s.begin();
    expect((await s.resolve(tx, ['p1'])).created).toEqual([{ uid, userId: 'p1' }]);
    await tx.rollback();
    // The write failed: the next one sends the person again, then no more.
    expect((await inTx(s, (t) => s.resolve(t, ['p1']))).created).toEqual([{ uid, userId: 'p1' }]);
    expect((await inTx(s, (t) => s.resolve(t, ['p1']))).created).toEqual([]);
    expect((await s.lookup(['p1'])).get('p1')).toBe(uid);
  });

  it('applies the four alias cases of the embedded store', async () => {
    const s = await one();
    // 1. Neither known: the user is created and the previous id maps to it.
    const c1 = await inTx(s, (tx) => s.alias(tx, 'anon1', 'u1'));
    expect(c1).toMatchObject({ kind: 'mapped', externalId: 'anon1' });
    const u1 = (await s.lookup(['u1'])).get('u1')!;
    expect(c1.created).toEqual([{ uid: u1, userId: 'u1' }]);
    expect((await s.lookup(['anon1'])).get('anon1')).toBe(u1);
    // 2. Only the previous id known: its person is renamed to the user id.
    const { uids } = await inTx(s, (tx) => s.resolve(tx, ['anon2']));
    const c2 = await inTx(s, (tx) => s.alias(tx, 'anon2', 'u2'));
    expect(c2).toMatchObject({ kind: 'renamed', uid: uids.get('anon2'), userId: 'u2', created: [] });
    expect(await s.userIds([uids.get('anon2')!])).toEqual(new Map([[uids.get('anon2')!, 'u2']]));
    expect((await s.lookup(['u2'])).get('u2')).toBe(uids.get('anon2'));
    // 3. Only the user known: the previous id maps to it.
    const c3 = await inTx(s, (tx) => s.alias(tx, 'anon3', 'u1'));
    expect(c3).toMatchObject({ kind: 'mapped', externalId: 'anon3', uid: u1 });
    // 4. Both known, different people: from -> into.
    const u2 = uids.get('anon2')!;
    const c4 = await inTx(s, (tx) => s.alias(tx, 'u2', 'u1'));
    expect(c4).toMatchObject({ kind: 'merged', from: u2, into: u1, moved: [u2] });
    expect(await s.lookup(['anon2', 'u2'])).toEqual(new Map([['anon2', u1], ['u2', u1]]));
    expect(await s.userIds([u2, u1])).toEqual(new Map([[u1, 'u1']]));
    expect(await s.keysOf(null, [u1])).toEqual(new Map([[u1, [u1, u2].sort((a, b) => a - b)]]));
    // Already one person: nothing to do.
    expect(await inTx(s, (tx) => s.alias(tx, 'anon2', 'u1'))).toMatchObject({ kind: 'none', uid: u1 });
  });

  it('flattens chains of merges: every merged-away key maps to the final person, with rising versions', async () => {
    const s = await one();
    const { uids } = await inTx(s, (tx) => s.resolve(tx, ['x', 'y', 'z']));
    const [x, y, z] = ['x', 'y', 'z'].map((k) => uids.get(k)!);
    const m1 = await inTx(s, (tx) => s.alias(tx, 'x', 'y'));
    const m2 = await inTx(s, (tx) => s.alias(tx, 'y', 'z'));
    expect(m1).toMatchObject({ kind: 'merged', from: x, into: y, moved: [x] });
    expect(m2).toMatchObject({ kind: 'merged', from: y, into: z, moved: [x, y].sort((a, b) => a - b) });
    expect((m2 as { version: number }).version).toBeGreaterThan((m1 as { version: number }).version);
    expect(await s.lookup(['x', 'y', 'z'])).toEqual(new Map([['x', z], ['y', z], ['z', z]]));
    expect((await s.keysOf(null, [z])).get(z)!.sort()).toEqual([x, y, z].sort());
  });

  it('gives two processes resolving the same new ids at once one key each', async () => {
    const [a, b] = await twoProcesses();
    const ids = Array.from({ length: 200 }, (_, i) => `user-${i}`);
    const [ra, rb] = await Promise.all([
      inTx(a, (tx) => a.resolve(tx, ids)),
      inTx(b, (tx) => b.resolve(tx, [...ids].reverse())),
    ]);
    for (const id of ids) expect(ra.uids.get(id)).toBe(rb.uids.get(id));
    expect(ra.created.length + rb.created.length).toBe(200);
    expect(new Set(ra.uids.values()).size).toBe(200);
  });

  it('makes a second process wait for an uncommitted new id, then see the same key', async () => {
    const [a, b] = await twoProcesses();
    const txA = await a.begin();
    const ra = await a.resolve(txA, ['late']);
    let bDone = false;
    const rb = inTx(b, (tx) => b.resolve(tx, ['late'])).then((r) => ((bDone = true), r));
    await new Promise((r) => setTimeout(r, 200));
    expect(bDone).toBe(false);
    await txA.commit();
    expect((await rb).uids.get('late')).toBe(ra.uids.get('late'));
    expect((await rb).created).toEqual([]);
  });

  it('merges once when two processes alias the same people concurrently', async () => {
    const [a, b] = await twoProcesses();
    const { uids } = await inTx(a, (tx) => a.resolve(tx, ['p', 'q']));
    const [ca, cb] = await Promise.all([inTx(a, (tx) => a.alias(tx, 'p', 'q')), inTx(b, (tx) => b.alias(tx, 'p', 'q'))]);
    expect([ca.kind, cb.kind].sort()).toEqual(['merged', 'none']);
    expect(await a.lookup(['p', 'q'])).toEqual(new Map([['p', uids.get('q')!], ['q', uids.get('q')!]]));
  });

  it('imports an embedded store\'s people with their keys; new people and numbers come after them', async () => {
    const db = await freshPgDatabase([PG_IDENTITY_MIGRATIONS]);
    const s = createPgIdentityStore(db);
    const snap = {
      people: [{ uid: 5, userId: 'five' }, { uid: 9, userId: 'nine' }, { uid: 7, userId: 'gone', mergedInto: 9 }],
      identities: [{ externalId: 'five', uid: 5 }, { externalId: 'nine', uid: 9 }, { externalId: 'gone', uid: 9 }, { externalId: 'anon', uid: 5 }],
      lastSeq: 1234,
    };
    await importPgIdentity(db, snap);
    await importPgIdentity(db, snap); // resumable: nothing twice
    expect(await s.lookup(['five', 'gone', 'anon'])).toEqual(new Map([['five', 5], ['gone', 9], ['anon', 5]]));
    expect((await s.keysOf(null, [9])).get(9)).toEqual([9, 7]);
    const { created } = await inTx(s, (tx) => s.resolve(tx, ['new']));
    expect(created[0].uid).toBeGreaterThan(9);
    expect(await s.allocateSeq(1)).toBe(1235);
  });

  it('hands out sequence blocks that never overlap across processes', async () => {
    const [a, b] = await twoProcesses();
    const blocks = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).allocateSeq(10)));
    const all = blocks.flatMap((first) => Array.from({ length: 10 }, (_, i) => first + i));
    expect(new Set(all).size).toBe(200);
    expect(Math.min(...all)).toBe(1);
  });
});

afterAll(async () => {
  await Promise.all(afterClose.splice(0).map((d) => d.close().catch(() => undefined)));
});
