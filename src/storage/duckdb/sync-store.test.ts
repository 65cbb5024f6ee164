import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { amplitudeListSimulator, MockReceiver } from '../../destinations/test-support/mock-receiver.js';
import type { SyncRun } from '../../schemas/sync.js';
import { userIds } from '../../services/syncs/test-support/fake-membership.js';
import { makeHarness } from '../../services/syncs/test-support/harness.js';
import { MemorySyncStore } from '../../services/syncs/test-support/memory-sync-store.js';
import { compareCodePoints } from '../../services/syncs/plan-stream.js';
import { DestinationInUseError, SyncExistsError, type SyncStore } from '../sync-store.js';
import { SYNC_MIGRATIONS } from './sync-migrations.js';
import { DuckDBSyncStore } from './sync-store.js';
import { PG_SYNC_MIGRATIONS } from '../postgres/sync-migrations.js';
import { PgSyncStore } from '../postgres/sync-store.js';
import { freshPgDatabase, noPostgres } from '../postgres/test-support/pg-test-db.js';

const opened: { inst: DuckDBInstance; conn: DuckDBConnection }[] = [];

async function freshDuckDBStore(): Promise<DuckDBSyncStore> {
  // A fresh in-memory database per store: one instance per test, closed at the end.
  const inst = await DuckDBInstance.create(':memory:');
  const conn = await inst.connect();
  opened.push({ inst, conn });
  for (const m of SYNC_MIGRATIONS) await conn.run(m.sql);
  return new DuckDBSyncStore(conn);
}

afterAll(() => {
  for (const { inst, conn } of opened) {
    conn.closeSync();
    inst.closeSync();
  }
});

const t = (iso: string) => new Date(iso);
const T0 = t('2025-02-01T10:00:00.123Z');
const run = (over: Partial<SyncRun> = {}): SyncRun => ({
  id: 'r1',
  syncId: 's1',
  startedAt: T0,
  finishedAt: null,
  status: 'running',
  full: true,
  trigger: 'manual',
  added: 0,
  removed: 0,
  failed: 0,
  skipped: 0,
  requests: 0,
  retries: 0,
  errors: [],
  ...over,
});

const stores: [string, () => Promise<SyncStore>][] = [
  ['DuckDBSyncStore (in-memory DuckDB)', freshDuckDBStore],
  ['MemorySyncStore (test double, same contract)', async () => new MemorySyncStore()],
  // The throwaway cluster of .ci/postgres.sh (always started by .ci/run).
  ...(noPostgres() ? [] : [['PgSyncStore (PostgreSQL)', async () => new PgSyncStore(await freshPgDatabase([PG_SYNC_MIGRATIONS]))] as [string, () => Promise<SyncStore>]]),
];

for (const [label, make] of stores) {
  describe(`SyncStore contract: ${label}`, () => {
    let store: SyncStore;
    beforeEach(async () => {
      store = await make();
      await store.createDestination({ id: 'd1', name: 'Amp', type: 'amplitude_list', config: { baseUrl: 'https://a.io', apiKey: 'sekret' }, now: T0 });
    });

    it('stores destinations with their full config and updates them', async () => {
      expect(await store.getDestination('d1')).toEqual({
        id: 'd1',
        name: 'Amp',
        type: 'amplitude_list',
        config: { baseUrl: 'https://a.io', apiKey: 'sekret' },
        createdAt: T0,
        updatedAt: T0,
      });
      expect(await store.getDestination('nope')).toBeNull();
      const later = t('2025-02-02T00:00:00Z');
      const upd = await store.updateDestination('d1', { name: 'Amp 2', config: { baseUrl: 'https://b.io', apiKey: 'k2' }, now: later });
      expect(upd).toMatchObject({ name: 'Amp 2', config: { baseUrl: 'https://b.io', apiKey: 'k2' }, updatedAt: later, createdAt: T0 });
      expect(await store.updateDestination('nope', { name: 'x', now: later })).toBeNull();
      expect((await store.listDestinations()).map((d) => d.id)).toEqual(['d1']);
    });

    it('creates syncs, one per (cohort, destination)', async () => {
      const s = await store.createSync({ id: 's1', cohortId: 'c1', destinationId: 'd1', frequency: 'hourly', batchSize: 500, nextRunAt: T0, now: T0 });
      expect(s).toEqual({
        id: 's1',
        cohortId: 'c1',
        destinationId: 'd1',
        frequency: 'hourly',
        batchSize: 500,
        paused: false,
        pausedReason: null,
        state: 'idle',
        nextRunAt: T0,
        protocolState: {},
        fullSyncDoneAt: null,
        lastRun: null,
        createdAt: T0,
        updatedAt: T0,
      });
      const dup = store.createSync({ id: 's2', cohortId: 'c1', destinationId: 'd1', frequency: 'daily', batchSize: 1, nextRunAt: null, now: T0 });
      await expect(dup).rejects.toBeInstanceOf(SyncExistsError);
      await expect(dup).rejects.toMatchObject({ syncId: 's1', code: 'sync_exists' });
      await store.createSync({ id: 's3', cohortId: 'c2', destinationId: 'd1', frequency: 'once', batchSize: 1, nextRunAt: null, now: T0 });
      expect((await store.listSyncs()).map((x) => x.id)).toEqual(['s1', 's3']);
      expect((await store.listSyncs({ cohortId: 'c2' })).map((x) => x.id)).toEqual(['s3']);
      expect((await store.listSyncs({ destinationId: 'd1', cohortId: 'c1' })).map((x) => x.id)).toEqual(['s1']);
      expect(await store.listSyncs({ destinationId: 'other' })).toEqual([]);
    });

    it('updates syncs, pauses, lists due ones, and lifts auth pauses when the destination is updated', async () => {
      await store.createSync({ id: 's1', cohortId: 'c1', destinationId: 'd1', frequency: 'hourly', batchSize: 500, nextRunAt: T0, now: T0 });
      await store.createSync({ id: 's2', cohortId: 'c2', destinationId: 'd1', frequency: 'daily', batchSize: 500, nextRunAt: t('2025-02-01T12:00:00Z'), now: T0 });
      const now = t('2025-02-01T11:00:00Z');
      expect((await store.listDueSyncs(now)).map((s) => s.id)).toEqual(['s1']);
      const u = await store.updateSync('s1', { frequency: 'daily', batchSize: 10, state: 'auth_failed', pausedReason: 'auth_failed', nextRunAt: null, fullSyncDoneAt: now, now });
      expect(u).toMatchObject({ frequency: 'daily', batchSize: 10, state: 'auth_failed', paused: true, pausedReason: 'auth_failed', nextRunAt: null, fullSyncDoneAt: now, updatedAt: now });
      await store.updateSync('s1', { nextRunAt: T0, now });
      expect(await store.listDueSyncs(now)).toEqual([]);
      await store.updateSync('s2', { pausedReason: 'user', now });
      await store.updateDestination('d1', { name: 'renamed', now });
      expect(await store.getSync('s1')).toMatchObject({ paused: false, pausedReason: null, state: 'idle' });
      // A user's pause is not lifted by a destination update.
      expect(await store.getSync('s2')).toMatchObject({ paused: true, pausedReason: 'user' });
      expect((await store.listDueSyncs(now)).map((s) => s.id)).toEqual(['s1']);
      expect(await store.updateSync('nope', { state: 'idle', now })).toBeNull();
    });

    it('merges protocol state', async () => {
      await store.createSync({ id: 's1', cohortId: 'c1', destinationId: 'd1', frequency: 'once', batchSize: 1, nextRunAt: null, now: T0 });
      await store.mergeProtocolState('s1', { listId: 'L9' });
      await store.mergeProtocolState('s1', { other: 1 });
      expect((await store.getSync('s1'))!.protocolState).toEqual({ listId: 'L9', other: 1 });
    });

    it('keeps the acknowledged set per sync, committed per batch, idempotently', async () => {
      await store.createSync({ id: 's1', cohortId: 'c1', destinationId: 'd1', frequency: 'once', batchSize: 1, nextRunAt: null, now: T0 });
      await store.createSync({ id: 's2', cohortId: 'c2', destinationId: 'd1', frequency: 'once', batchSize: 1, nextRunAt: null, now: T0 });
      await store.commitBatch('s1', 'add', ['a', 'b', 'c']);
      await store.commitBatch('s1', 'add', ['c', 'd']);
      await store.commitBatch('s2', 'add', ['z']);
      await store.commitBatch('s1', 'remove', ['a', 'x']);
      await store.commitBatch('s1', 'add', []);
      expect((await store.acknowledged('s1')).sort()).toEqual(['b', 'c', 'd']);
      expect(await store.acknowledged('s2')).toEqual(['z']);
      const many = userIds(25_000);
      await store.commitBatch('s2', 'add', many);
      expect((await store.acknowledged('s2')).length).toBe(25_001);
      await store.commitBatch('s2', 'remove', many.slice(0, 24_000));
      expect((await store.acknowledged('s2')).sort()).toEqual([...many.slice(24_000), 'z'].sort());
      // Concurrent commits (grouped into one transaction by the DuckDB store) keep their order; odd ids survive.
      const odd = ['a\u0000b', '😀', 'q"\\', '\u2028', ''];
      await Promise.all([store.commitBatch('s1', 'add', odd), store.commitBatch('s1', 'remove', ['b']), store.commitBatch('s1', 'add', ['b2'])]);
      await Promise.all([store.commitBatch('s1', 'add', ['e']), store.commitBatch('s1', 'remove', ['e', '😀'])]);
      expect((await store.acknowledged('s1')).sort()).toEqual(['a\u0000b', 'q"\\', '\u2028', '', 'b2', 'c', 'd'].sort());
    });

    it('hands the acknowledged set out in pages, strictly ascending in code point order (what the streamed plan merges)', async () => {
      await store.createSync({ id: 's1', cohortId: 'c1', destinationId: 'd1', frequency: 'once', batchSize: 1, nextRunAt: null, now: T0 });
      await store.createSync({ id: 's2', cohortId: 'c2', destinationId: 'd1', frequency: 'once', batchSize: 1, nextRunAt: null, now: T0 });
      const read = async (id: string) => {
        const pages: string[][] = [];
        for await (const page of store.acknowledgedPages(id)) pages.push(page);
        return pages;
      };
      expect(await read('s1')).toEqual([]);
      // More than a page of plain ids (PostgreSQL reads them by keyset), in shuffled commits.
      const many = userIds(45_000);
      await store.commitBatch('s1', 'add', many.slice(30_000));
      await store.commitBatch('s1', 'add', many.slice(0, 30_000));
      await store.commitBatch('s1', 'remove', ['u00007']);
      await store.commitBatch('s1', 'add', many.slice(10, 20)); // again: each id still comes once
      const pages = await read('s1');
      expect(pages.flat()).toEqual(many.filter((u) => u !== 'u00007'));
      // Odd ids: NUL and backslash (stored escaped by PostgreSQL), astral and private-use characters (JS order differs).
      const odd = ['a\u0000b', 'a', 'a\\', 'a]', '😀', '\uE000', '\uFFFD', 'q"\\', '\u2028', '', 'z'];
      await store.commitBatch('s2', 'add', odd);
      const got = (await read('s2')).flat();
      expect(got).toEqual([...odd].sort(compareCodePoints));
      expect(got.indexOf('\uE000')).toBeLessThan(got.indexOf('😀'));
      expect(got[0]).toBe('');
    });

    it('keeps in-flight batches until ended, atomically with their commit, and drops them with the sync', async () => {
      await store.createSync({ id: 's1', cohortId: 'c1', destinationId: 'd1', frequency: 'once', batchSize: 1, nextRunAt: null, now: T0 });
      await store.createSync({ id: 's2', cohortId: 'c2', destinationId: 'd1', frequency: 'once', batchSize: 1, nextRunAt: null, now: T0 });
      const odd = ['a\u0000b', '😀', 'q"\\', '\u2028', ''];
      await store.beginBatch('s1', { key: 'r1-add-1', op: 'add', userIds: ['a', 'b'] });
      await store.beginBatch('s1', { key: 'r1-remove-1', op: 'remove', userIds: ['z'] });
      await store.beginBatch('s1', { key: 'r1-add-2', op: 'add', userIds: odd });
      await store.beginBatch('s2', { key: 'r9-add-1', op: 'add', userIds: ['q'] });
      expect(await store.inFlightBatches('s1')).toEqual([
        { key: 'r1-add-1', op: 'add', userIds: ['a', 'b'] },
        { key: 'r1-remove-1', op: 'remove', userIds: ['z'] },
        { key: 'r1-add-2', op: 'add', userIds: odd },
      ]);
      // Committed together with ending the record; commits grouped in one transaction end theirs too.
      await Promise.all([
        store.commitBatch('s1', 'add', ['a', 'b'], { endKey: 'r1-add-1' }),
        store.commitBatch('s1', 'add', [], { endKey: 'r1-add-2' }),
      ]);
      expect((await store.acknowledged('s1')).sort()).toEqual(['a', 'b']);
      expect(await store.inFlightBatches('s1')).toEqual([{ key: 'r1-remove-1', op: 'remove', userIds: ['z'] }]);
      await store.endBatch('s1', 'r1-remove-1');
      expect(await store.inFlightBatches('s1')).toEqual([]);
      expect(await store.inFlightBatches('s2')).toEqual([{ key: 'r9-add-1', op: 'add', userIds: ['q'] }]);
      await store.deleteSync('s2');
      expect(await store.inFlightBatches('s2')).toEqual([]);
    });

    it('records runs, newest first, with errors; lastRun on the sync', async () => {
      await store.createSync({ id: 's1', cohortId: 'c1', destinationId: 'd1', frequency: 'once', batchSize: 1, nextRunAt: null, now: T0 });
      await store.insertRun(run());
      const done = run({
        finishedAt: t('2025-02-01T10:01:00Z'),
        status: 'partial',
        added: 5,
        removed: 1,
        failed: 2,
        skipped: 3,
        requests: 7,
        retries: 4,
        errors: [{ at: t('2025-02-01T10:00:30Z'), status: 400, message: 'HTTP 400: bad', sampleUserIds: ['u1', 'u2'] }],
      });
      await store.updateRun(done);
      expect(await store.getRun('r1')).toEqual(done);
      // Same start time: the later insert is the newer run.
      await store.insertRun(run({ id: 'r2', full: false, trigger: 'schedule' }));
      expect((await store.listRuns('s1')).map((r) => r.id)).toEqual(['r2', 'r1']);
      expect((await store.listRuns('s1', { limit: 1 })).map((r) => r.id)).toEqual(['r2']);
      expect((await store.getSync('s1'))!.lastRun).toMatchObject({ id: 'r2', status: 'running', full: false, trigger: 'schedule' });
      expect(await store.getRun('nope')).toBeNull();

      const ids = await store.failInterruptedRuns(t('2025-02-01T11:00:00Z'), 'interrupted');
      expect(ids).toEqual(['s1']);
      expect(await store.getRun('r2')).toMatchObject({
        status: 'failed',
        finishedAt: t('2025-02-01T11:00:00Z'),
        errors: [{ at: t('2025-02-01T11:00:00Z'), status: null, message: 'interrupted', sampleUserIds: [] }],
      });
      expect((await store.getSync('s1'))!.state).toBe('failing');
      expect(await store.failInterruptedRuns(T0, 'x')).toEqual([]);
    });

    it('deletes syncs with their state, and destinations only when unused (or forced)', async () => {
      await store.createSync({ id: 's1', cohortId: 'c1', destinationId: 'd1', frequency: 'once', batchSize: 1, nextRunAt: null, now: T0 });
      await store.commitBatch('s1', 'add', ['a']);
      await store.insertRun(run());
      await expect(store.deleteDestination('d1')).rejects.toBeInstanceOf(DestinationInUseError);
      expect(await store.deleteSync('s1')).toBe(true);
      expect(await store.deleteSync('s1')).toBe(false);
      expect(await store.acknowledged('s1')).toEqual([]);
      expect(await store.listRuns('s1')).toEqual([]);
      // The pair is free again.
      await store.createSync({ id: 's9', cohortId: 'c1', destinationId: 'd1', frequency: 'once', batchSize: 1, nextRunAt: null, now: T0 });
      await store.commitBatch('s9', 'add', ['a']);
      expect(await store.deleteDestination('d1', { force: true })).toBe(true);
      expect(await store.getSync('s9')).toBeNull();
      expect(await store.acknowledged('s9')).toEqual([]);
      expect(await store.getDestination('d1')).toBeNull();
      expect(await store.deleteDestination('d1')).toBe(false);
    });
  });
}

describe('SyncRunner on the DuckDB store', () => {
  let rx: MockReceiver;
  let sim: ReturnType<typeof amplitudeListSimulator>;
  beforeEach(async () => {
    rx = await new MockReceiver().start();
    sim = amplitudeListSimulator('key');
    rx.handler = sim.handler;
    return () => rx.close();
  });

  it('runs full then delta, with a permanent failure retried next run, state surviving a new runner', async () => {
    const store = await freshDuckDBStore();
    const members = userIds(2300);
    const h = await makeHarness({ type: 'amplitude_list', config: { baseUrl: rx.url, apiKey: 'key' }, members, batchSize: 500, store });
    rx.inject({ kind: 'status', status: 400 }, { match: (r) => r.path.endsWith('/add') && r.json.userIds.includes('u00600') });
    const first = await h.runner.run(h.syncId);
    expect(first).toMatchObject({ status: 'partial', full: true, added: 1800, failed: 500 });
    h.membership.setCohort('c1', 'Big spenders', userIds(2300, 100));
    const second = await h.newRunner().run(h.syncId);
    expect(second).toMatchObject({ status: 'succeeded', full: false, added: 500 + 100, removed: 100 });
    expect([...sim.lists.get('L1')!.members].sort()).toEqual(userIds(2300, 100));
    expect((await store.acknowledged(h.syncId)).sort()).toEqual(userIds(2300, 100));
    expect((await store.listRuns(h.syncId)).map((r) => r.status)).toEqual(['succeeded', 'partial']);
    expect(await store.getSync(h.syncId)).toMatchObject({ state: 'idle', protocolState: { listId: 'L1' }, lastRun: { id: second.id } });
  });
});
