/**
 * `kohort migrate`: copies an embedded store (a data dir's DuckDB file, opened
 * READ_ONLY and never changed) into PostgreSQL (metadata) and ClickHouse
 * (events, traits, people, member sets), ids and person keys kept, in chunks,
 * resumable after a stop at any point (progress.ts, copy-plan.ts).
 *
 * A target is accepted when it holds nothing yet, or a migration of this same
 * store (same contents: the fingerprint of its row counts and last seq); it is
 * refused when it holds other data.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ClickHouseClient } from '../storage/clickhouse/client.js';
import { hotPropertyCount } from '../storage/clickhouse/copy-checks.js';
import { ClickHouseEventWriter } from '../storage/clickhouse/event-writer.js';
import { HOT_SLOTS } from '../storage/clickhouse/migrations.js';
import { MAX_EVENT_MS, MIN_EVENT_MS } from '../cohort/dialects/clickhouse-time.js';
import { openDatabaseReadOnly } from '../storage/duckdb/database.js';
import { OutdatedStoreError, recordedMetadataEngine, StoreExport } from '../storage/duckdb/store-export.js';
import type { IdentityImport } from '../storage/identity-import.js';
import type { PgDatabase } from '../storage/postgres/database.js';
import { copyPlan, withoutPresent, type CopyContext, type CopyStep } from './copy-plan.js';
import { markSourceFinished, readProgress, readSource, recordProgress, recordSource } from './progress.js';

export class MigrateError extends Error {}

export interface MigrateOptions {
  /** The data dir of the embedded store (holds kohort.duckdb). */
  fromDir: string;
  /** The target PostgreSQL, with the metadata and MIGRATE_PROGRESS_MIGRATIONS applied. */
  pg: PgDatabase;
  /** The target ClickHouse, with its migrations applied. */
  clickhouse: ClickHouseClient;
  /** The identity port's import (PostgreSQL); without it people and ids go to ClickHouse only. */
  identities?: IdentityImport;
  /** Rows per chunk (defaults: 5000 into PostgreSQL, 20000 into ClickHouse). */
  chunkRows?: { postgres?: number; clickhouse?: number };
  /** Called after each chunk is written, before its progress is recorded (progress output; tests stop here). */
  onChunk?(e: { table: string; done: number; total: number }): void;
}

export interface TableReport {
  table: string;
  target: 'postgres' | 'clickhouse' | 'identities';
  /** Rows in the embedded store. */
  source: number;
  /** Rows in the target after the copy. */
  target_rows: number;
  /** Rows the target cannot hold (times outside 1970-2106), left out of `source`. */
  outside: number;
}

export interface MigrateReport {
  resumed: boolean;
  alreadyDone: boolean;
  tables: TableReport[];
  /** The largest person key copied: the identity allocator must stay above it. */
  maxUid: number;
  /** The largest event / trait / merge sequence number copied: new ones must be above it. */
  lastSeq: number;
  /** Whether the data dir holds its own secret-key.json (which KOHORT_SECRET_KEY must then carry). */
  secretKeyFile: boolean;
}

async function openSource(fromDir: string): Promise<{ close(): void; store: StoreExport }> {
  const file = join(fromDir, 'kohort.duckdb');
  if (!existsSync(file)) throw new MigrateError(`No embedded store at ${file} (--from must be the data dir of a Kohort started without KOHORT_DATABASE_URL)`);
  let opened: Awaited<ReturnType<typeof openDatabaseReadOnly>>;
  try {
    opened = await openDatabaseReadOnly(file);
  } catch (err) {
    const msg = String((err as Error).message);
    if (/lock/i.test(msg)) throw new MigrateError(`${file} is open in another process (a running Kohort server?): stop it, then run kohort migrate again`);
    throw new MigrateError(`Cannot open ${file} read-only: ${msg}`);
  }
  const { instance, conn } = opened;
  const close = () => {
    conn.closeSync();
    instance.closeSync();
  };
  try {
    if ((await recordedMetadataEngine(conn)) === 'postgres') {
      throw new MigrateError(`${file} belongs to a Kohort whose metadata is already in PostgreSQL (KOHORT_DATABASE_URL): only an embedded store can be migrated`);
    }
    // ClickHouse 18.16 keeps times from 1970 to 2106 only (clickhouse-time.ts): other events and traits are reported, not copied.
    return { store: await StoreExport.open(conn, { tsRangeMs: [MIN_EVENT_MS, MAX_EVENT_MS] }), close };
  } catch (err) {
    close();
    if (err instanceof OutdatedStoreError) {
      throw new MigrateError(`${file} was written by an older Kohort (${err.message}): start this version once on that data dir (it updates the file), stop it, then migrate`);
    }
    throw err;
  }
}

/** Source counts of every step, and the store's fingerprint (counts and the last sequence numbers). */
async function sourceCounts(store: StoreExport, plan: CopyStep[]): Promise<{ counts: Map<string, number>; fingerprint: string }> {
  const counts = new Map<string, number>();
  for (const step of plan) counts.set(step.name, await store.count(step.source));
  const body = JSON.stringify({ counts: [...counts].sort(), lastSeq: await store.lastSeq(), maxUid: await store.maxUid() });
  return { counts, fingerprint: createHash('sha256').update(body).digest('hex') };
}

/** What the target holds already, by table (non-empty ones only). */
async function targetHoldings(ctx: CopyContext, plan: CopyStep[]): Promise<string[]> {
  const held: string[] = [];
  for (const step of plan) {
    const n = await step.targetCount(ctx);
    if (n > 0) held.push(`${n} ${step.name}`);
  }
  return held;
}

async function copyStep(ctx: CopyContext, store: StoreExport, step: CopyStep, total: number, opts: MigrateOptions): Promise<void> {
  const progress = await readProgress(ctx.pg, step.name);
  if (progress.finished) return;
  let done = progress.done;
  const chunk = step.target === 'postgres' ? (opts.chunkRows?.postgres ?? 5_000) : (opts.chunkRows?.clickhouse ?? 20_000);
  // Rows after `done` that a stopped run may have written already.
  const unchecked = { n: progress.inflight };
  for await (const rows of store.rows(step.source, done, chunk)) {
    const next = { done: done + rows.length, inflight: 0, finished: false };
    if (step.target === 'postgres') {
      // The chunk and its progress commit together: a stop anywhere repeats nothing.
      await ctx.pg.tx(async (q) => {
        await step.write(q, rows);
        opts.onChunk?.({ table: step.name, done: next.done, total });
        await recordProgress(q, step.name, next);
      });
    } else {
      const fresh = await withoutPresent(ctx, step, rows, unchecked);
      // Recorded before the write: if it stops midway, the next run checks these rows (and any still unchecked after them).
      if (step.seqTable) await recordProgress(ctx.pg, step.name, { done, inflight: rows.length + unchecked.n, finished: false });
      await step.write(ctx, fresh);
      opts.onChunk?.({ table: step.name, done: next.done, total });
      await recordProgress(ctx.pg, step.name, { ...next, inflight: unchecked.n });
    }
    done = next.done;
  }
  await step.finish?.(ctx);
  await recordProgress(ctx.pg, step.name, { done, inflight: 0, finished: true });
}

/** The hot property paths of the store become ClickHouse's (once: a resumed copy keeps what it recorded). */
async function openWriter(store: StoreExport, clickhouse: ClickHouseClient): Promise<ClickHouseEventWriter> {
  if ((await hotPropertyCount(clickhouse)) > 0) return ClickHouseEventWriter.open(clickhouse);
  const paths = (await store.hotPropertyPaths()).slice(0, HOT_SLOTS);
  return ClickHouseEventWriter.open(clickhouse, paths.length ? paths : undefined);
}

/** The identity port's import: one idempotent call with the whole snapshot, recorded when done. */
const IDENTITY_STEP = 'identities (PostgreSQL)';
async function importIdentities(store: StoreExport, opts: MigrateOptions): Promise<void> {
  if (!opts.identities || (await readProgress(opts.pg, IDENTITY_STEP)).finished) return;
  const snap = await store.identitySnapshot();
  await opts.identities.importSnapshot(snap);
  await recordProgress(opts.pg, IDENTITY_STEP, { done: snap.identities.length, inflight: 0, finished: true });
}

/** Any key: held by the one `kohort migrate` copying into a database, for its whole run. */
const MIGRATE_LOCK = 7_301_113_090;

export async function migrateStore(opts: MigrateOptions): Promise<MigrateReport> {
  // Two runs at once would both write the same chunks: the second is refused.
  const lock = await opts.pg.pool.connect();
  try {
    const [got] = (await lock.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [MIGRATE_LOCK])).rows;
    if (!got.ok) throw new MigrateError('Another kohort migrate is copying into this database: wait for it to finish (or stop it), then run again');
    try {
      return await copyAll(opts);
    } finally {
      await lock.query('SELECT pg_advisory_unlock($1)', [MIGRATE_LOCK]).catch(() => undefined);
    }
  } finally {
    lock.release();
  }
}

async function copyAll(opts: MigrateOptions): Promise<MigrateReport> {
  const source = await openSource(opts.fromDir);
  try {
    const { store } = source;
    const plan = copyPlan();
    const { counts, fingerprint } = await sourceCounts(store, plan);
    const recorded = await readSource(opts.pg);
    const memberVersion = recorded?.memberVersion ?? Date.now();
    const ctx: CopyContext = {
      pg: opts.pg,
      clickhouse: opts.clickhouse,
      writer: await ClickHouseEventWriter.open(opts.clickhouse),
      memberVersion,
      mergeTargets: await store.mergeTargets(),
    };
    if (recorded && recorded.fingerprint !== fingerprint) {
      throw new MigrateError('The target already holds a migration of another embedded store (or of this one before it changed): use empty databases');
    }
    if (!recorded) {
      const held = await targetHoldings(ctx, plan);
      const ids = opts.identities ? await opts.identities.countIdentities() : 0;
      if (ids > 0) held.push(`${ids} identities`);
      if (held.length) throw new MigrateError(`The target already holds data (${held.join(', ')}) that is not from this store: migrate into empty databases`);
      await recordSource(opts.pg, fingerprint, memberVersion);
    }
    const alreadyDone = recorded?.finishedAt != null;
    if (!alreadyDone) {
      await importIdentities(store, opts);
      ctx.writer = await openWriter(store, opts.clickhouse);
      for (const step of plan) await copyStep(ctx, store, step, counts.get(step.name) ?? 0, opts);
      await markSourceFinished(opts.pg);
    }
    const tables: TableReport[] = [];
    if (opts.identities) {
      tables.push({ table: IDENTITY_STEP, target: 'identities', source: await store.count('identities'), target_rows: await opts.identities.countIdentities(), outside: 0 });
    }
    for (const step of plan) {
      tables.push({
        table: step.name, target: step.target, source: counts.get(step.name) ?? 0, target_rows: await step.targetCount(ctx), outside: await store.outside(step.source),
      });
    }
    return {
      resumed: recorded !== null && !alreadyDone, alreadyDone, tables, maxUid: await store.maxUid(), lastSeq: await store.lastSeq(),
      secretKeyFile: existsSync(join(opts.fromDir, 'secret-key.json')),
    };
  } finally {
    source.close();
  }
}
