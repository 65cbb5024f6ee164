import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { MockReceiver } from '../../destinations/test-support/mock-receiver.js';
import { openPostgres } from '../../storage/postgres/database.js';
import { PG_LEASE_MIGRATIONS } from '../../storage/postgres/lease-migrations.js';
import { PG_SYNC_MIGRATIONS } from '../../storage/postgres/sync-migrations.js';
import { PgSyncStore } from '../../storage/postgres/sync-store.js';
import { freshPgSchema, noPostgres, PG_URL } from '../../storage/postgres/test-support/pg-test-db.js';
import { userIds } from './test-support/fake-membership.js';
import { listReceiverPerTest, type ListSimulator } from './test-support/list-receiver-per-test.js';

const WORKER = fileURLToPath(new URL('./test-support/sync-worker-process.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});

/** Starts a worker process and resolves once it polls. */
function startWorker(name: string, schema: string, members: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER], {
    cwd: ROOT,
    env: { ...process.env, WORKER_NAME: name, WORKER_SCHEMA: schema, WORKER_MEMBERS: String(members), WORKER_LEASE_MS: '2000' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('ready')) resolve(child);
    });
    child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    child.once('exit', (code) => reject(new Error(`worker ${name} exited with ${code}: ${out}`)));
  });
}

let rx: MockReceiver;
let sim: ListSimulator;
listReceiverPerTest((r, s) => {
  rx = r;
  sim = s;
});

describe.skipIf(noPostgres())('sync workers in separate processes on one PostgreSQL', () => {
  it('a worker killed with SIGKILL mid-sync is resumed by another: list == membership, only in-flight batches resent', async () => {
    const schema = freshPgSchema();
    const db = await openPostgres(PG_URL!, [PG_SYNC_MIGRATIONS, PG_LEASE_MIGRATIONS], { schema, max: 2 });
    try {
      const store = new PgSyncStore(db);
      const members = userIds(3000);
      const now = new Date();
      await store.createDestination({ id: 'd1', name: 'Amp', type: 'amplitude_list', config: { baseUrl: rx.url, apiKey: 'key' }, now });
      await store.createSync({ id: 's1', cohortId: 'c1', destinationId: 'd1', frequency: 'once', batchSize: 100, nextRunAt: now, now });

      // After 5 accepted add batches, A's further requests hang: A is stuck mid-sync when it is killed.
      let adds = 0;
      let stall = true;
      rx.inject({ kind: 'hang' }, { times: 1_000, match: (r) => stall && r.path.endsWith('/add') && ++adds > 5 });
      const a = await startWorker('A', schema, members.length);
      await expect.poll(() => rx.requests.filter((r) => r.fault?.kind === 'hang').length, { timeout: 60_000 }).toBeGreaterThan(0);
      a.kill('SIGKILL');
      await new Promise((r) => a.once('exit', r));
      stall = false;
      const ackedByA = new Set(await store.acknowledged('s1'));
      expect(ackedByA.size).toBeGreaterThanOrEqual(300);
      expect((await store.getSync('s1'))!.lastRun!.status).toBe('running');

      // B takes over once A's lease expires (2 s) and finishes from the acknowledged set.
      await startWorker('B', schema, members.length);
      await expect.poll(async () => (await store.getSync('s1'))!.lastRun?.status, { timeout: 60_000, interval: 200 }).toBe('succeeded');
      const runs = await store.listRuns('s1');
      expect(runs.map((r) => r.status)).toEqual(['succeeded', 'failed']);
      expect(runs[1].errors.map((e) => e.message).join(' ')).toContain('interrupted');
      expect(runs[0]).toMatchObject({ full: true, added: members.length - ackedByA.size });
      expect([...sim.lists.get('L1')!.members].sort()).toEqual(members);
      expect((await store.acknowledged('s1')).sort()).toEqual(members);
      expect(sim.lists.size).toBe(1);
      // Nothing acknowledged was sent again; what was delivered twice is at most the batches in flight at the kill (2 × 100).
      const sent = new Map<string, number>();
      for (const r of rx.requests) if (r.path.endsWith('/add') && !r.fault) for (const u of r.json.userIds as string[]) sent.set(u, (sent.get(u) ?? 0) + 1);
      const twice = [...sent].filter(([, n]) => n > 1).map(([u]) => u);
      expect(twice.filter((u) => ackedByA.has(u))).toEqual([]);
      expect(twice.length).toBeLessThanOrEqual(200);
    } finally {
      await db.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
      await db.close();
    }
  }, 180_000);
});
