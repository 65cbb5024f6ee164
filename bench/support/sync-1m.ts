import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { BulkBatch } from '../../src/storage/duckdb/bulk-loader.js';
import { createKohort, type Kohort } from '../../src/main.js';
import { asDuckDBEventsEngine } from '../../src/storage/duckdb/duckdb-engine.js';
import { ROOT, type BenchContext } from '../harness.js';
import { exited, tsNode } from './processes.js';

/**
 * Shared set-up of the sync benchmarks: a fresh store with 1,005,000 people
 * (bulk loaded, one event each: the first 1,000,000 `app_open`, the rest
 * `visit`), the composition root in this process with its schedulers off, and
 * a cheap list receiver (bench/support/list-receiver.ts) in a child process.
 */
export const MEMBERS = 1_000_000;
export const EXTRA = 5_000;
export const uidOf = (i: number) => `u${String(i).padStart(7, '0')}`;
/** Members while nobody churned: app_open and not churned. */
export const DEFINITION = {
  match: 'all',
  rules: [
    { type: 'event', event: 'app_open' },
    { type: 'event', event: 'churned', negate: true },
  ],
};
const ADMIN = 'bench-sync-admin-token';
const WRITE = 'bench-sync-write-key';

export interface Run {
  id: string;
  startedAt: string;
  finishedAt: string | null;
  status: string;
  full: boolean;
  added: number;
  removed: number;
  failed: number;
  requests: number;
  retries: number;
}
export interface ReceiverStats {
  requests: number;
  added: number;
  removed: number;
  size: number;
  firstAt: number;
  lastAt: number;
}

export interface SyncBench {
  k: Kohort;
  receiverUrl: string;
  api<T = any>(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown): Promise<{ status: number; body: T }>;
  ingest(batch: Record<string, unknown>[]): Promise<void>;
  receiver<T = ReceiverStats>(method: 'GET' | 'POST', path: string): Promise<T>;
  /** Creates the dynamic cohort and waits for its first computation. */
  createCohort(): Promise<{ id: string; size: number }>;
  /** amplitude_list destination at the receiver + a `once` sync of the cohort. */
  createSync(cohortId: string, batchSize: number): Promise<string>;
  /** POST /v1/syncs/:id/run and wait for the run to end. */
  runSync(syncId: string): Promise<Run>;
  close(): Promise<void>;
}

function* people(): Generator<BulkBatch> {
  const CHUNK = 100_000;
  const ts = Date.now() - 86_400_000;
  for (let from = 0; from < MEMBERS + EXTRA; from += CHUNK) {
    const n = Math.min(CHUNK, MEMBERS + EXTRA - from);
    const externalId: string[] = new Array(n);
    const event: string[] = new Array(n);
    for (let i = 0; i < n; i++) {
      externalId[i] = uidOf(from + i);
      event[i] = from + i < MEMBERS ? 'app_open' : 'visit';
    }
    yield {
      events: { externalId, event, ts: new Array(n).fill(ts), props: new Array(n).fill('{}') },
      traits: { externalId: [], key: [], value: [], ts: [] },
      properties: [],
    };
  }
}

async function startReceiver(ctx: BenchContext): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, tsNode('bench/support/list-receiver.ts'), { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stderr!.on('data', (c: Buffer) => ctx.log(`receiver: ${c.toString().trim()}`));
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /port (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`receiver exited with ${code}`)));
  });
  return { child, url: `http://127.0.0.1:${port}` };
}

export async function openSyncBench(ctx: BenchContext, name: string): Promise<SyncBench> {
  const dir = join(ctx.tmp, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const k = await createKohort({ dbPath: join(dir, 'kohort.duckdb'), adminToken: ADMIN, writeKey: WRITE, background: false, schedulers: false });
  const { child, url: receiverUrl } = await startReceiver(ctx);
  try {
    const t0 = performance.now();
    const loaded = await asDuckDBEventsEngine(k.engine).events.bulkLoad(people());
    ctx.log(`bulk loaded ${loaded.users.toLocaleString('en-US')} people in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  } catch (err) {
    child.kill();
    await k.close();
    throw err;
  }

  const api: SyncBench['api'] = async (method, url, payload) => {
    const r = await k.app.inject({ method, url, payload: payload as never, headers: { authorization: `Bearer ${ADMIN}` } });
    return { status: r.statusCode, body: (r.body ? r.json() : undefined) as never };
  };
  const must = <T>(r: { status: number; body: T }, ok: number, what: string) => {
    if (r.status !== ok) throw new Error(`${what}: HTTP ${r.status} ${JSON.stringify(r.body).slice(0, 500)}`);
    return r.body;
  };
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  return {
    k,
    receiverUrl,
    api,
    async ingest(batch) {
      for (let i = 0; i < batch.length; i += 2000) {
        const r = await k.app.inject({ method: 'POST', url: '/v1/batch', payload: { batch: batch.slice(i, i + 2000) }, headers: { authorization: `Bearer ${WRITE}` } });
        if (r.statusCode !== 200) throw new Error(`ingest: HTTP ${r.statusCode} ${r.body.slice(0, 500)}`);
      }
    },
    async receiver(method, path) {
      const r = await fetch(`${receiverUrl}${path}`, { method });
      return (await r.json()) as never;
    },
    async createCohort() {
      const c = must(await api<any>('POST', '/v1/cohorts', { name: 'Bench 1M', definition: DEFINITION }), 201, 'create cohort');
      for (;;) {
        const got = must(await api<any>('GET', `/v1/cohorts/${c.id}`), 200, 'get cohort');
        if (got.computedAt && got.calculation.state === 'idle') return { id: c.id, size: got.size };
        if (got.calculation.state === 'failed') throw new Error(`cohort computation failed: ${got.calculation.lastError}`);
        await sleep(100);
      }
    },
    async createSync(cohortId, batchSize) {
      const d = must(await api<any>('POST', '/v1/destinations', { name: 'Bench list', type: 'amplitude_list', config: { baseUrl: receiverUrl, apiKey: 'bench' } }), 201, 'create destination');
      const s = must(await api<any>('POST', '/v1/syncs', { cohortId, destinationId: d.id, frequency: 'once', batchSize }), 201, 'create sync');
      return s.id;
    },
    async runSync(syncId) {
      const started = must(await api<Run>('POST', `/v1/syncs/${syncId}/run`), 202, 'run sync');
      for (;;) {
        await sleep(100);
        const runs = must(await api<Run[]>('GET', `/v1/syncs/${syncId}/runs`), 200, 'list runs');
        const r = runs.find((x) => x.id === started.id);
        if (r && r.status !== 'running') return r;
      }
    },
    async close() {
      child.kill();
      await exited(child);
      await k.close();
    },
  };
}
