import type { EventRollup, MaterializedProperty } from '../../cohort/dialect.js';
import type { EventStore, StoredEvent, WriteItem } from '../event-store.js';
import { bulkLoad, type BulkBatch, type BulkLoadResult } from './bulk-loader.js';
import type { Database } from './database.js';
import { getUser, listEventTypes, liveEvents, userProperties } from './event-reads.js';
import { eventPropertyValues, traitNames, traitValues } from './property-values.js';
import { EventWriter } from './event-writer.js';
import { DEFAULT_HOT_POLICY, HotColumns, type HotPolicy } from './hot-columns.js';
import { Reorganizer } from './reorganizer.js';
import type { RollupPolicy } from './event-rollup.js';
import { sortedViewStatements } from './sorted-events.js';

export interface DuckDBEventStore extends EventStore {
  readonly writer: EventWriter;
  /** Starts the periodic background work (reorganization, dedup pruning). */
  startBackground(intervalMs?: number): void;
  /** Appends large batches through DuckDB data chunks, between group commits (seed, imports). */
  bulkLoad(batches: Iterable<BulkBatch> | AsyncIterable<BulkBatch>, onProgress?: (r: BulkLoadResult) => void): Promise<BulkLoadResult>;
  /** As EventStore's; `upkeep: false` sorts only, leaving the summaries and the current-traits order to a later call (bulk loads in slices). */
  reorganize(opts?: { upkeep?: boolean }): Promise<{ moved: number }>;
  /** Property paths kept in typed columns, complete: pass to the cohort compiler (`materialized`). */
  materializedProperties(): MaterializedProperty[];
  /** The per-(event, person) summaries the store keeps now, if any: pass to the cohort compiler (`rollup`). */
  eventRollup(): EventRollup | undefined;
  /** How the summaries were last built since opening: from the parts of a bulk load, or reading every event (tests, diagnostics). */
  rollupBuiltFrom(): 'parts' | 'whole' | undefined;
}

export interface EventStoreOptions {
  /** Table size under which reorganizing rewrites everything (tests lower it). */
  fullRewriteBelow?: number;
  /** Tail size from which the tail is appended as a sorted run even below `fullRewriteBelow` (tests lower it). */
  minRunRows?: number;
  /** Which properties get typed columns (tests pick their own). */
  hotPolicy?: HotPolicy;
  /** When the per-(event, person) summaries are built (tests pick their own). */
  rollupPolicy?: RollupPolicy;
  /** Where background failures are reported (the process logger). */
  logError?: (msg: string, err: unknown) => void;
}

export async function openDuckDBEventStore(db: Database, opts: EventStoreOptions = {}): Promise<DuckDBEventStore> {
  const writer = await EventWriter.open(db.writer);
  const hot = await writer.exclusive(async (c) => {
    const loaded = await HotColumns.load(c);
    // Created on open too: stores made before the view existed get it here (see sorted-events.ts).
    for (const sql of sortedViewStatements(loaded.allColumns())) await c.run(sql);
    return loaded;
  });
  const reorganizer = new Reorganizer(writer, db.background, hot, opts.fullRewriteBelow, opts.hotPolicy ?? DEFAULT_HOT_POLICY, opts.rollupPolicy, opts.minRunRows);
  await reorganizer.init();
  let timer: NodeJS.Timeout | undefined;
  let lastPrune = Date.now();

  return {
    writer,
    write: (items: WriteItem[]) => writer.write(items),
    listEventTypes: () => listEventTypes(db.reads),
    liveEvents: (f) => liveEvents(db.reads, writer.ids, f),
    getUser: (userId, recent = 20) => getUser(db.reads, writer.ids, userId, recent),
    userProperties: (userIds) => userProperties(db.reads, writer.ids, userIds),
    eventPropertyValues: (q) => eventPropertyValues(db.reads, q),
    traitValues: (q) => traitValues(db.reads, q),
    traitNames: () => traitNames(db.reads),
    subscribe: (l: (e: StoredEvent[]) => void) => writer.subscribe(l),
    reorganize: (o) => reorganizer.reorganize(o),
    materializedProperties: () => reorganizer.hotColumns.materialized(),
    eventRollup: () => reorganizer.rollupState?.forCompiler(reorganizer.hotColumns),
    rollupBuiltFrom: () => reorganizer.rollupBuiltFrom,
    bulkLoad: (batches, onProgress) => writer.exclusive((c) => bulkLoad(c, writer, batches, onProgress)),
    startBackground(intervalMs = 5_000) {
      timer = setInterval(() => {
        if (reorganizer.due()) {
          reorganizer.reorganize().catch((err) => (opts.logError ?? ((m, e) => console.error(m, e)))('reorganization failed; will retry', err));
        }

        if (Date.now() - lastPrune > 3_600_000) {
          writer.pruneDedup();
          lastPrune = Date.now();
        }
      }, intervalMs);
      timer.unref();
    },
    async close() {
      if (timer) clearInterval(timer);
      await reorganizer.whenIdle();
    },
  };
}
