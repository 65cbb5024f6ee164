import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { planSync } from '../../src/services/syncs/sync-planner.js';
import { openDatabase } from '../../src/storage/duckdb/database.js';
import { SYNC_MIGRATIONS } from '../../src/storage/duckdb/sync-migrations.js';
import { DuckDBSyncStore } from '../../src/storage/duckdb/sync-store.js';
import { openPostgres } from '../../src/storage/postgres/database.js';
import { PG_SYNC_MIGRATIONS } from '../../src/storage/postgres/sync-migrations.js';
import { PgSyncStore } from '../../src/storage/postgres/sync-store.js';
import type { SyncStore } from '../../src/storage/sync-store.js';
import { percentile, type BenchContext, type CaseResult, type Figure } from '../harness.js';

export const name = 'sync-store-1m';
export const description =
  'The store side of a 1,000,000-member sync on each metadata engine, side by side: the full sync acknowledges 1M ids in ' +
  'batches of 1,000 with 4 batches in flight (as the runner commits them), then the acknowledged set is read back ' +
  '(median of 3) and a delta of 10,000 movers is planned (`planSync`, median of 5) and committed. DuckDB is a file in ' +
  '.tmp/; PostgreSQL is the server at KOHORT_BENCH_DATABASE_URL (else KOHORT_TEST_DATABASE_URL), in a fresh schema ' +
  'dropped afterwards. No destination traffic: see sync-full-1m and sync-delta-plan for whole runs on DuckDB.';

const MEMBERS = 1_000_000;
const MOVERS = 5_000;
const BATCH = 1_000;
const IN_FLIGHT = 4;
const uidOf = (i: number) => `u${String(i).padStart(7, '0')}`;
const median = (xs: number[]) => percentile(xs, 50);
const T0 = new Date();

async function timed<T>(fn: () => Promise<T> | T): Promise<{ ms: number; value: T }> {
  const t = performance.now();
  const value = await fn();
  return { ms: performance.now() - t, value };
}

/** Commits ids in batches, `IN_FLIGHT` workers each waiting for its commit before the next batch. */
async function commitAll(store: SyncStore, syncId: string, op: 'add' | 'remove', ids: string[]): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < ids.length) {
      const from = next;
      next += BATCH;
      await store.commitBatch(syncId, op, ids.slice(from, from + BATCH));
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
}

async function measure(label: string, store: SyncStore, ctx: BenchContext): Promise<Figure[]> {
  await store.createDestination({ id: 'd1', name: 'bench', type: 'amplitude_list', config: { baseUrl: 'http://127.0.0.1:9', apiKey: 'k' }, now: T0 });
  await store.createSync({ id: 's1', cohortId: 'c1', destinationId: 'd1', frequency: 'once', batchSize: BATCH, nextRunAt: null, now: T0 });
  const members = Array.from({ length: MEMBERS }, (_, i) => uidOf(i));
  const full = await timed(() => commitAll(store, 's1', 'add', members));
  ctx.log(`${label}: acknowledged 1M in ${(full.ms / 1000).toFixed(1)} s`);
  const reads: number[] = [];
  let acked: string[] = [];
  for (let i = 0; i < 3; i++) {
    const r = await timed(() => store.acknowledged('s1'));
    if (r.value.length !== MEMBERS) throw new Error(`${label}: read ${r.value.length} acknowledged ids`);
    reads.push(r.ms);
    acked = r.value;
  }
  // Every 200th member leaves, 5,000 newcomers (sorting after everyone) enter.
  const next = [...members.filter((_, i) => i % 200 !== 0), ...Array.from({ length: MOVERS }, (_, k) => uidOf(MEMBERS + k))];
  const plans: number[] = [];
  let plan = planSync(next, acked);
  for (let i = 0; i < 5; i++) {
    const p = await timed(() => planSync(next, acked));
    plans.push(p.ms);
    plan = p.value;
  }
  if (plan.toAdd.length !== MOVERS || plan.toRemove.length !== MOVERS) throw new Error(`${label}: plan ${plan.toAdd.length} / ${plan.toRemove.length}`);
  const delta = await timed(async () => {
    await commitAll(store, 's1', 'add', plan.toAdd);
    await commitAll(store, 's1', 'remove', plan.toRemove);
  });
  const after = await store.acknowledged('s1');
  if (after.length !== MEMBERS) throw new Error(`${label}: ${after.length} acknowledged after the delta`);
  return [
    { label: `${label}: full sync, acknowledge 1M ids (1,000 per batch, 4 in flight)`, value: full.ms / 1000, unit: 's' },
    { label: `${label}: acknowledged ids per second (full sync)`, value: Math.round(MEMBERS / (full.ms / 1000)), unit: 'ids/s', target: 50_000, better: 'higher' },
    { label: `${label}: read 1M acknowledged (median of 3)`, value: Math.round(median(reads)), unit: 'ms' },
    { label: `${label}: planSync 1M vs 1M, 10k movers (median of 5)`, value: Math.round(median(plans) * 10) / 10, unit: 'ms', target: 1000 },
    { label: `${label}: commit the delta (5,000 adds + 5,000 removes)`, value: Math.round(delta.ms), unit: 'ms' },
  ];
}

export async function run(ctx: BenchContext): Promise<CaseResult> {
  const url = process.env.KOHORT_BENCH_DATABASE_URL ?? process.env.KOHORT_TEST_DATABASE_URL;
  if (!url) throw new Error('set KOHORT_BENCH_DATABASE_URL (or run under .ci/postgres.sh) for the PostgreSQL side');
  const figures: Figure[] = [];
  const notes: string[] = [];

  const dir = join(ctx.tmp, 'bench-sync-store-1m');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const duck = await openDatabase(join(dir, 'kohort.duckdb'), [SYNC_MIGRATIONS]);
  try {
    figures.push(...(await measure('DuckDB', new DuckDBSyncStore((await duck.connect()).raw), ctx)));
  } finally {
    await duck.close();
    rmSync(dir, { recursive: true, force: true });
  }

  const schema = `bench_${randomBytes(4).toString('hex')}`;
  const pg = await openPostgres(url, [PG_SYNC_MIGRATIONS], { schema });
  try {
    const [v] = await pg.query<{ v: string }>(`SELECT current_setting('server_version') AS v`);
    const settings = await pg.query<{ name: string; setting: string }>(
      `SELECT name, setting FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'shared_buffers') ORDER BY name`,
    );
    notes.push(`PostgreSQL ${v.v} on this machine (loopback): ${settings.map((s) => `${s.name}=${s.setting}`).join(', ')}.`);
    figures.push(...(await measure('PostgreSQL', new PgSyncStore(pg), ctx)));
  } finally {
    await pg.query(`DROP SCHEMA ${schema} CASCADE`).catch(() => undefined);
    await pg.close();
  }
  return { figures, notes };
}
