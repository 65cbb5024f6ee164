import { join } from 'node:path';
import { z } from 'zod';
import { ConfigError, type Config } from '../config.js';
import { openDatabase, type Database } from '../storage/duckdb/database.js';
import type { BulkBatch } from '../storage/duckdb/bulk-loader.js';
import { openDuckDBEventStore } from '../storage/duckdb/duckdb-event-store.js';
import { generateShopData } from './seed-data.js';

const count = (name: string, min: number) =>
  z.coerce.number({ message: `--${name} must be a number` }).int(`--${name} must be a whole number`).min(min, `--${name} must be at least ${min}`);

const optionsSchema = z.object({
  users: count('users', 1).default(10_000),
  events: count('events', 0).default(200_000),
  days: count('days', 1).max(36_500, '--days must be at most 36500').default(180),
  seed: count('seed', 0).max(2 ** 32 - 1, '--seed must be below 2^32').default(1),
});
export type SeedCommandOptions = z.infer<typeof optionsSchema>;

export class SeedError extends Error {}

export interface SeedSummary {
  users: number;
  events: number;
  traits: number;
  loadMs: number;
  reorganizeMs: number;
  totalMs: number;
}

/** Opens the store file, turning DuckDB's lock error into advice. */
async function openStore(dataDir: string, memoryLimit?: string): Promise<Database> {
  const file = join(dataDir, 'kohort.duckdb');
  try {
    return await openDatabase(file, [], { memoryLimit });
  } catch (err) {
    if (/lock/i.test(String((err as Error).message))) {
      throw new SeedError(
        `Cannot seed: ${file} is locked by another process (probably a running Kohort server). ` +
          'Stop it, run `npm run seed` again, then start the server (`npm start`).',
      );
    }
    throw err;
  }
}

const SLICE_EVENTS = 2_500_000;

/** Groups consecutive batches into slices of about `events` events. */
function* slices(batches: Iterable<BulkBatch>, events: number): Generator<Iterable<BulkBatch>> {
  const it = batches[Symbol.iterator]();
  let next = it.next();
  while (!next.done) {
    let n = 0;
    yield (function* () {
      while (!next.done && n < events) {
        n += next.value.events.event.length;
        yield next.value;
        next = it.next();
      }
    })();
  }
}

/** Writes demo shop data into the store of `dataDir`, sorting it into the ordered layout as it goes. */
export async function seed(
  dataDir: string,
  o: SeedCommandOptions,
  log: (line: string) => void = () => undefined,
  opts: { memoryLimit?: string; sliceEvents?: number; end?: Date } = {},
): Promise<SeedSummary> {
  const started = performance.now();
  const db = await openStore(dataDir, opts.memoryLimit);
  try {
    const store = await openDuckDBEventStore(db);
    try {
      let nextReport = 1_000_000;
      const loaded = { users: 0, events: 0, traits: 0 };
      let reorganizeMs = 0;
      // Loaded in slices, each sorted into the ordered table as soon as it is in:
      // sorted runs of a few million rows cost far less than one sort of everything.
      // A slice is sorted (DuckDB's threads, background connection) while the next
      // one is generated and appended (this thread): the two overlap instead of
      // taking turns. The sort's hand-over waits for the load in progress, as it
      // waits for group commits when serving.
      const batches = generateShopData({ users: o.users, events: o.events, days: o.days, seed: o.seed, end: opts.end ?? new Date() });
      let sorting: Promise<number> | undefined;
      // The upkeep (per-(event, person) summaries, current-traits order) reads whole tables: once at the end, not per slice.
      const sortLoaded = (upkeep: boolean) => {
        const t = performance.now();
        return store.reorganize({ upkeep }).then(() => performance.now() - t);
      };
      for (const slice of slices(batches, opts.sliceEvents ?? SLICE_EVENTS)) {
        const base = { ...loaded };
        const r = await store.bulkLoad(slice, (p) => {
          const events = base.events + p.events;
          if (events < nextReport) return;
          nextReport += 1_000_000;
          const s = (performance.now() - started) / 1000;
          log(`  ${events.toLocaleString('en-US')} events (${Math.round(events / s).toLocaleString('en-US')}/s)`);
        });
        loaded.users += r.users;
        loaded.events += r.events;
        loaded.traits += r.traits;
        if (sorting) reorganizeMs += await sorting;
        sorting = sortLoaded(false);
        sorting.catch(() => undefined); // awaited after the next slice; a failure must not go unhandled meanwhile
      }
      // Only the last sort runs alone; the time sorts spent alongside loads counts as sorting.
      const lastSortStarted = performance.now();
      if (sorting) reorganizeMs += await sorting;
      reorganizeMs += await sortLoaded(true); // nothing left to sort in: the upkeep
      const loadMs = lastSortStarted - started;
      await store.close();
      await db.close();
      return { users: loaded.users, events: loaded.events, traits: loaded.traits, loadMs, reorganizeMs, totalMs: performance.now() - started };
    } catch (err) {
      await store.close().catch(() => undefined);
      throw err;
    }
  } catch (err) {
    await db.close().catch(() => undefined);
    throw err;
  }
}

const fmt = (n: number) => n.toLocaleString('en-US');

/** `kohort seed [--users N] [--events N] [--days N] [--seed N]` */
export async function runSeedCommand(config: Config, raw: { users?: string; events?: string; days?: string; seed?: string }): Promise<void> {
  const parsed = optionsSchema.safeParse(raw);
  if (!parsed.success) {
    console.error(parsed.error.issues.map((i) => i.message).join('\n'));
    process.exitCode = 2;
    return;
  }
  const o = parsed.data;
  if (config.eventsUrl !== undefined) {
    // The seed loads the embedded DuckDB file: with ClickHouse events it would fill a file nothing reads.
    throw new ConfigError('kohort seed loads the embedded DuckDB store; with KOHORT_EVENTS_URL the events live in ClickHouse: unset both URLs and use a separate KOHORT_DATA_DIR to seed a demo');
  }
  console.log(
    `Seeding ${fmt(o.events)} events for ${fmt(o.users)} users over ${fmt(o.days)} days (seed ${o.seed}) into ${config.dataDir}`,
  );
  try {
    const s = await seed(config.dataDir, o, (line) => console.log(line), { memoryLimit: config.memoryLimit });
    const secs = (ms: number) => (ms / 1000).toFixed(1);
    console.log(
      `Done: ${fmt(s.users)} new users, ${fmt(s.events)} events, ${fmt(s.traits)} trait values in ${secs(s.totalMs)} s ` +
        `(load ${secs(s.loadMs)} s at ${fmt(Math.round(s.events / (s.loadMs / 1000 || 1)))} events/s, reorganize ${secs(s.reorganizeMs)} s; ` +
        `peak memory ${fmt(Math.round(process.resourceUsage().maxRSS / 1024))} MiB; ` +
        `CPU ${secs((process.cpuUsage().user + process.cpuUsage().system) / 1000)} s)`,
    );
  } catch (err) {
    if (err instanceof SeedError) {
      console.error(err.message);
      process.exitCode = 1;
      return;
    }
    throw err;
  }
}
