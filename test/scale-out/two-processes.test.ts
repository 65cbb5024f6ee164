import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dropFreshDatabases, freshClickHouseDatabaseUrl, noClickHouse } from '../../src/storage/clickhouse/test-support/ch-test-db.js';
import { freshPgDatabaseUrl, noPostgres } from '../../src/storage/postgres/test-support/pg-test-db.js';
import { callServer, killAllServers, startServerProcess, type ServerProcess } from '../support/server-process.js';
import { SlowListReceiver } from '../support/slow-list-receiver.js';

/**
 * scale-out.md, "Guarantees with several processes": two real `kohort serve`
 * processes on one PostgreSQL and one ClickHouse behave as one server. Events
 * are sent to both, each batch repeated to the other (the same messageIds),
 * an anonymous id is aliased through the other process; every cohort then has
 * the size computed here from the data, from either process, and counts each
 * repeated event once. A sync run started on one process, killed with SIGKILL
 * mid-way, is finished by the other once the lease expires: the receiver's
 * list equals the cohort, and only in-flight batches were sent twice.
 */
const ADMIN = 'two-processes-admin-token-0123';
const WRITE = 'two-processes-write-key-0123';
const API_KEY = 'two-processes-list-key';
const USERS = 600;
const BATCH_SIZE = 25;
const KILL_AT_REQUEST = 6;
/** A fixed asOf: the preview's sample is then the same from both processes. */
const AS_OF = '2026-12-01T00:00:00.000Z';

const dirs: string[] = [];
const receiver = new SlowListReceiver(API_KEY);
afterAll(async () => {
  killAllServers();
  await receiver.close();
  await dropFreshDatabases();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const api = <T = any>(s: ServerProcess, method: string, path: string, body?: unknown, token = ADMIN) => callServer<T>(s, token, method, path, body);

const user = (i: number) => `tp-${String(i).padStart(4, '0')}`;
const day = (d: number) => new Date(Date.UTC(2026, 10, 1 + d, 12)).toISOString();

/** The events: user i bought i % 4 times (brand acme for even i), signed up when i % 3 == 0. */
function dataset(): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < USERS; i++) {
    for (let k = 0; k < i % 4; k++) {
      out.push({ type: 'track', userId: user(i), event: 'purchase', messageId: `p-${i}-${k}`, timestamp: day(k), properties: { brand: i % 2 ? 'other' : 'acme', price: 100 * k + i } });
    }
    if (i % 3 === 0) out.push({ type: 'track', userId: user(i), event: 'signup', messageId: `s-${i}`, timestamp: day(5) });
  }
  return out;
}

/** Expected members, from the same rules as `dataset` (user 1 also gets the aliased anonymous purchases). */
const expected = {
  twoPurchases: (i: number) => i % 4 + (i === 1 ? 2 : 0) >= 2,
  acmeNoSignup: (i: number) => i % 2 === 0 && i % 4 >= 1 && i % 3 !== 0,
  signedUp: (i: number) => i % 3 === 0,
};
const definitions = {
  twoPurchases: { match: 'all', rules: [{ type: 'event', event: 'purchase', count: { op: 'gte', value: 2 } }] },
  acmeNoSignup: {
    match: 'all',
    rules: [
      { type: 'event', event: 'purchase', where: [{ property: 'brand', op: 'eq', value: 'acme' }] },
      { type: 'event', event: 'signup', negate: true },
    ],
  },
  signedUp: { match: 'all', rules: [{ type: 'event', event: 'signup' }] },
};
const expectedMembers = (f: (i: number) => boolean) => Array.from({ length: USERS }, (_, i) => i).filter(f).map(user).sort();

describe.skipIf(noPostgres() || noClickHouse())('two processes on one PostgreSQL and one ClickHouse', () => {
  it('give the same answers, count repeats once, follow aliases across processes, and finish a SIGKILLed sync', { timeout: 600_000 }, async () => {
    await receiver.start();
    const env = {
      KOHORT_DATABASE_URL: await freshPgDatabaseUrl(),
      KOHORT_EVENTS_URL: freshClickHouseDatabaseUrl(),
      // Both processes open destination secrets sealed by the other.
      KOHORT_SECRET_KEY: randomBytes(32).toString('base64'),
      KOHORT_ALLOW_PRIVATE_URLS: '127.0.0.1',
    };
    const start = () => {
      const dir = mkdtempSync(join(tmpdir(), 'kohort-two-'));
      dirs.push(dir);
      return startServerProcess(dir, { adminToken: ADMIN, writeKey: WRITE }, env);
    };
    // Started together: schema migrations of both engines are serialised by their locks.
    let [a, b] = await Promise.all([start(), start()]);
    void b;

    // Each batch goes to one process and, at the same time, again to the other.
    const events = dataset();
    const chunks: Record<string, unknown>[][] = [];
    for (let i = 0; i < events.length; i += 150) chunks.push(events.slice(i, i + 150));
    for (const [n, batch] of chunks.entries()) {
      const [first, second] = n % 2 ? [a, b] : [b, a];
      const sent = await Promise.all([first, second].map((s) => api(s, 'POST', '/v1/batch', { batch }, WRITE)));
      for (const r of sent) expect(r.status, JSON.stringify(r.body)).toBe(200);
    }
    // An anonymous visitor buys twice through A, then B learns it is user 1 (who bought once).
    const anon = [0, 1].map((k) => ({ type: 'track', anonymousId: 'tp-anon', event: 'purchase', messageId: `anon-${k}`, timestamp: day(k), properties: { brand: 'other' } }));
    expect((await api(a, 'POST', '/v1/batch', { batch: anon }, WRITE)).status).toBe(200);
    expect((await api(b, 'POST', '/v1/batch', { batch: [{ type: 'alias', previousId: 'tp-anon', userId: user(1), messageId: 'alias-1' }] }, WRITE)).status).toBe(200);

    // Every cohort has the expected size from either process, and the same sample of members.
    for (const [name, definition] of Object.entries(definitions)) {
      const want = expectedMembers(expected[name as keyof typeof expected]);
      const [fromA, fromB] = await Promise.all([a, b].map((s) => api(s, 'POST', '/v1/cohorts/preview', { definition, asOf: AS_OF })));
      expect(fromA.status, JSON.stringify(fromA.body)).toBe(200);
      expect([name, fromA.body.size]).toEqual([name, want.length]);
      expect([name, fromB.body.size]).toEqual([name, want.length]);
      expect(fromB.body.sample).toEqual(fromA.body.sample);
    }
    // User 1's page shows the aliased purchases from either process.
    for (const s of [a, b]) {
      const page = await api(s, 'GET', `/v1/users/${user(1)}`);
      expect(page.status, JSON.stringify(page.body)).toBe(200);
      expect(page.body.eventCount).toBe(3);
    }

    // A cohort saved through one process is the same cohort, with the same members, through the other.
    const saved = await api(a, 'POST', '/v1/cohorts', { name: 'Acme, no signup', definition: definitions.acmeNoSignup });
    expect(saved.status, JSON.stringify(saved.body)).toBe(201);
    const cohortId: string = saved.body.id;
    await expect.poll(async () => (await api(b, 'GET', `/v1/cohorts/${cohortId}`)).body.size, { timeout: 60_000 }).toBe(expectedMembers(expected.acmeNoSignup).length);
    const pageB = await api(b, 'GET', `/v1/cohorts/${cohortId}/members?limit=1000`);
    expect(pageB.body.items).toEqual(expectedMembers(expected.acmeNoSignup));
    // Uniqueness holds across processes.
    const dest = await api(b, 'POST', '/v1/destinations', { name: 'Slow list', type: 'amplitude_list', config: { baseUrl: receiver.url, apiKey: API_KEY } });
    expect(dest.status, JSON.stringify(dest.body)).toBe(201);

    // Everyone who bought: a sync started on A is killed mid-run and finished by B.
    const buyers = await api(a, 'POST', '/v1/cohorts', { name: 'Buyers', definition: { match: 'all', rules: [{ type: 'event', event: 'purchase' }] } });
    expect(buyers.status).toBe(201);
    const want = expectedMembers((i) => i % 4 >= 1 || i === 1);
    await expect.poll(async () => (await api(b, 'GET', `/v1/cohorts/${buyers.body.id}`)).body.size, { timeout: 60_000 }).toBe(want.length);
    const sync = await api(a, 'POST', '/v1/syncs', { cohortId: buyers.body.id, destinationId: dest.body.id, frequency: 'once', batchSize: BATCH_SIZE });
    expect(sync.status, JSON.stringify(sync.body)).toBe(201);
    const again = await api(b, 'POST', '/v1/syncs', { cohortId: buyers.body.id, destinationId: dest.body.id, frequency: 'once' });
    expect([again.status, again.body.error?.code]).toEqual([409, 'sync_exists']);

    // The `once` sync starts by itself on whichever worker leases it: kill that process at the KILL_AT_REQUEST-th batch.
    const owners = new Map([[a.proc.pid, a], [b.proc.pid, b]]);
    const killed = new Promise<ServerProcess>((resolve) => {
      receiver.onArrival = (n) => {
        if (n !== KILL_AT_REQUEST) return;
        // Which process sends is not visible to the receiver: kill A, and if B was the sender, B finishes alone anyway.
        a.proc.kill('SIGKILL');
        resolve(a);
      };
    });
    const victim = await killed;
    owners.delete(victim.proc.pid);
    await victim.exited;
    receiver.onArrival = () => {};
    const survivor = [...owners.values()][0];
    // The survivor finishes the sync within the lease expiry (≤ 60 s) plus the run itself.
    await expect
      .poll(async () => (await api(survivor, 'GET', `/v1/syncs/${sync.body.id}/runs`)).body.some((r: { status: string }) => r.status === 'succeeded'), { timeout: 180_000, interval: 1000 })
      .toBe(true);
    await expect.poll(() => receiver.pending, { timeout: 30_000 }).toBe(0);
    expect([...receiver.list].sort()).toEqual(want);
    // Nothing applied twice: batches in flight at the kill came back with their first key and were dropped.
    expect(receiver.requests.reduce((n, r) => n + r.redundant, 0)).toBe(0);
    expect(receiver.requests.filter((r) => r.duplicateKey).length).toBeLessThanOrEqual(4);
    expect(receiver.listsCreated).toBe(1);
    // The run the killed process held is recorded as interrupted; the survivor's run finished it.
    const runsAfter = (await api(survivor, 'GET', `/v1/syncs/${sync.body.id}/runs`)).body as { status: string; errors: { message: string }[] }[];
    expect(runsAfter.length, JSON.stringify(runsAfter)).toBeGreaterThanOrEqual(2);
    expect(runsAfter.some((r) => r.status === 'failed' && r.errors.some((e) => /interrupted/.test(e.message))), JSON.stringify(runsAfter)).toBe(true);

    // The killed process comes back and agrees.
    a = await start();
    expect((await api(a, 'GET', `/v1/cohorts/${buyers.body.id}`)).body.size).toBe(want.length);
    const runs = (await api(a, 'GET', `/v1/syncs/${sync.body.id}/runs`)).body as { status: string }[];
    expect(runs.some((r) => r.status === 'succeeded')).toBe(true);
  });
});
