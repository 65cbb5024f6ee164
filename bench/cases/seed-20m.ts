import { existsSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase } from '../../src/storage/duckdb/database.js';
import { openDuckDBEventStore } from '../../src/storage/duckdb/duckdb-event-store.js';
import type { BenchContext, CaseResult } from '../harness.js';
import { runCli } from '../support/processes.js';

export const name = 'seed-20m';
export const description =
  '`kohort seed --users 1000000 --events 20000000 --days 1460 --seed 1` in a child process into an empty data dir, ' +
  'timed end to end (process start to exit, including the final reorganization). The result is kept in `.tmp/bench-20m/` for other cases.';

export const SEED_ARGS = ['--users', '1000000', '--events', '20000000', '--days', '1460', '--seed', '1'];

/**
 * Where the 20M-event store lives for other cases; seeds it when missing, and
 * brings a file made by an earlier version up to date first (migrations, and
 * the hot property columns that a reorganization adds by rebuilding `events`).
 */
export async function data20m(ctx: BenchContext): Promise<string> {
  const dir = join(ctx.tmp, 'bench-20m');
  if (!existsSync(join(dir, 'kohort.duckdb'))) await seedInto(ctx, dir);
  await upgrade(ctx, join(dir, 'kohort.duckdb'));
  return dir;
}

/**
 * Brings a seeded file from an earlier version up to the current layout (tail sorted in, hot
 * columns, summaries, current traits in key order), untimed: what opening it in a server does.
 */
export async function upgrade(ctx: BenchContext, file: string): Promise<void> {
  const started = performance.now();
  const db = await openDatabase(file);
  try {
    const store = await openDuckDBEventStore(db);
    try {
      const before = store.materializedProperties().length;
      const { moved } = await store.reorganize(); // cheap when there is neither a tail nor a new hot column
      const after = store.materializedProperties();
      if (moved || after.length !== before) {
        ctx.log(
          `upgraded ${file} in ${((performance.now() - started) / 1000).toFixed(1)} s: ${moved} tail rows sorted in, ` +
            `hot property columns ${after.map((m) => m.path.join('.')).join(', ') || 'none'}`,
        );
      }
    } finally {
      await store.close();
    }
  } finally {
    await db.close();
  }
}

/**
 * Seeds `dir` (through `dir.next`, renamed when complete) with `kohort seed args` in a child
 * process; `env` adds variables (KOHORT_MEMORY_LIMIT). Times the child from spawn to exit.
 */
export async function seedInto(ctx: BenchContext, dir: string, args = SEED_ARGS, env: NodeJS.ProcessEnv = {}): Promise<{ ms: number; output: string }> {
  const next = `${dir}.next`;
  rmSync(next, { recursive: true, force: true });
  const started = performance.now();
  const { output } = await runCli(['seed', ...args], { ...env, KOHORT_DATA_DIR: next }, ctx.log);
  const ms = performance.now() - started;
  rmSync(dir, { recursive: true, force: true });
  renameSync(next, dir);
  return { ms, output };
}

export interface SeedReport {
  users: number;
  events: number;
  traits: number;
  loadS: number;
  reorganizeS: number;
  peakMiB: number;
  cpuS?: number;
}

/** The figures of the seed's closing line. */
export function parseSeedOutput(output: string): SeedReport {
  const done = /Done: ([\d,]+) new users, ([\d,]+) events, ([\d,]+) trait values in ([\d.]+) s \(load ([\d.]+) s at ([\d,]+) events\/s, reorganize ([\d.]+) s; peak memory ([\d,]+) MiB(?:; CPU ([\d.]+) s)?\)/.exec(output);
  if (!done) throw new Error(`seed output not understood:\n${output.slice(-1000)}`);
  const n = (s: string) => Number(s.replace(/,/g, ''));
  return {
    users: n(done[1]), events: n(done[2]), traits: n(done[3]), loadS: n(done[5]), reorganizeS: n(done[7]), peakMiB: n(done[8]),
    cpuS: done[9] ? n(done[9]) : undefined,
  };
}

export async function run(ctx: BenchContext): Promise<CaseResult> {
  const dir = join(ctx.tmp, 'bench-20m');
  const { ms, output } = await seedInto(ctx, dir);
  const done = parseSeedOutput(output);
  const events = done.events;
  if (events !== 20_000_000) throw new Error(`seeded ${events} events, expected 20,000,000`);
  const fileMiB = statSync(join(dir, 'kohort.duckdb')).size / 2 ** 20;
  return {
    figures: [
      { label: 'end to end (process start to exit)', value: ms / 1000, unit: 's', target: 90 },
      { label: 'events per second, end to end', value: Math.round(events / (ms / 1000)), unit: 'events/s' },
      { label: 'bulk load (generate + append + commit)', value: done.loadS, unit: 's' },
      { label: 'reorganization (sort by event, ts)', value: done.reorganizeS, unit: 's' },
      { label: 'peak memory of the seed process', value: done.peakMiB, unit: 'MiB' },
      ...(done.cpuS !== undefined ? [{ label: 'CPU time of the seed process (all threads)', value: done.cpuS, unit: 's' }] : []),
      { label: 'database file', value: Math.round(fileMiB), unit: 'MiB' },
    ],
    notes: [`${done.users.toLocaleString('en-US')} users, ${done.events.toLocaleString('en-US')} events, ${done.traits.toLocaleString('en-US')} trait values.`],
  };
}
