import type { DuckDBConnection } from '@duckdb/node-api';
import type { SerialConnection } from './database.js';
import type { EventWriter } from './event-writer.js';
import { currentTraitsUnsorted, sortCurrentTraits } from './current-traits-sort.js';
import { adoptRollup, buildRollup, DEFAULT_ROLLUP_POLICY, RollupState, type RollupPolicy } from './event-rollup.js';
import { dropParts, RollupParts } from './event-rollup-parts.js';
import { BASE_COLUMNS, DEFAULT_HOT_POLICY, type HotColumns, type HotPolicy } from './hot-columns.js';

/** After a failed build of the summaries, the next try waits this long (queries read the events meanwhile). */
const ROLLUP_RETRY_MS = 10 * 60_000;

/** Below this many sorted rows a reorganization rewrites the whole table; above, it appends a sorted run. */
const FULL_REWRITE_BELOW = 2_000_000;

/**
 * A tail at least this large (one of DuckDB's row groups) is appended as a sorted run of its
 * own even while the table is below FULL_REWRITE_BELOW: every row group then holds at most two
 * runs' worth of each event, so zone maps keep most of their use, and such a table is small
 * enough that scanning a few more row groups costs milliseconds. Under heavy ingestion (100k
 * events/s gives 500k rows between two 5 s checks) rewriting the whole table at every
 * reorganization sorted each row many times on the way to 2M (7.6M rows sorted to store 2.5M
 * in the http-ingest bench, about a quarter of the server's CPU); now each is sorted once.
 */
const MIN_RUN_ROWS = 122_880;

/**
 * Checkpoints right after a hand-over trimmed the tail, still holding the writer (no group
 * commit appends meanwhile): the tail rows that moved were never written to the data file, and
 * now never are. A checkpoint blocks every commit while it runs, and DuckDB's automatic one
 * (when the WAL passes database.ts's CHECKPOINT_THRESHOLD) compresses and writes the tail rows
 * since the last one, which the next reorganization deletes anyway: measured on a 1.2M-row
 * store, 85-320 ms for 100k fresh tail rows, 20 ms once they were deleted. Under heavy ingestion
 * that was a commit stalled for 0.1-1.4 s every 2-4 s, the main cause of the request p99.
 * A failure leaves the automatic checkpoint to do it later.
 */
async function checkpointTrimmed(c: DuckDBConnection): Promise<void> {
  await c.run('CHECKPOINT').catch(() => undefined);
}

/**
 * Keeps `events` physically ordered by (event, ts), the layout that lets
 * DuckDB's zone maps skip most row groups (measured ~10x on cohort queries).
 *
 * Fresh appends land in `events_tail`. A reorganization sorts the committed
 * tail (plus the whole of `events` while it is small and the tail too small to
 * make a run of its own) into `events_sorted` on
 * the background connection, while ingestion and reads go on; only the
 * hand-over (replaying alias merges made meanwhile, moving the sorted rows,
 * trimming the tail) runs between two group commits. A large table is thus
 * a sequence of sorted runs of a million rows or more: each run keeps an
 * event's rows together, so zone maps prune as well as on one global order,
 * and the cost of a reorganization follows the tail, not the table.
 *
 * Rows entering `events` get the hot property columns computed (hot-columns.ts).
 * When the hot set grows, the reorganization that notices it rebuilds a large
 * `events` in its existing order with the new columns (a small one is
 * rewritten anyway), and the new set is recorded at the same hand-over, so
 * `events` never has a column that is not filled for every row.
 *
 * After its hand-over, a reorganization also rebuilds the per-(event, person) summaries
 * (event-rollup.ts) when they are missing or stale, or the hot set grew: built on the
 * background connection, swapped in at a second, short hand-over.
 */
export class Reorganizer {
  private running: Promise<{ moved: number }> | null = null;
  private mainRows = 0;
  /** The hot set would grow: reorganize even without a tail (an upgraded file, a new frequent path). */
  private hotDue = false;
  private rollup: RollupState | undefined;
  /** When a summaries build last failed: not retried for a while (each try reads every event). */
  private rollupFailedAt = 0;
  /** When the last build of the summaries may be followed by the next (RollupPolicy.spacing). */
  private rollupNotBefore = 0;
  /** The hot set grew during a reorganization that skipped the summaries: the next build is due. */
  private rollupDeferred = false;
  /** The current-traits table has lost its key order (current-traits-sort.ts). */
  private traitsDue = false;
  /** Summaries built a part per deferred run (event-rollup-parts.ts), for the next build. */
  private parts: RollupParts | undefined;
  /** How the summaries were last built since opening (from the parts, or reading every event). */
  rollupBuiltFrom: 'parts' | 'whole' | undefined;

  constructor(
    private readonly writer: EventWriter,
    private readonly background: SerialConnection,
    private hot: HotColumns,
    private readonly fullRewriteBelow = FULL_REWRITE_BELOW,
    private readonly hotPolicy: HotPolicy = DEFAULT_HOT_POLICY,
    private readonly rollupPolicy: RollupPolicy = DEFAULT_ROLLUP_POLICY,
    private readonly minRunRows = MIN_RUN_ROWS,
  ) {}

  /** The summaries the store has now, for the compiler. */
  get rollupState(): RollupState | undefined {
    return this.rollup;
  }

  /** The hot columns `events` has now. */
  get hotColumns(): HotColumns {
    return this.hot;
  }

  async init(): Promise<void> {
    await this.background.run('DROP TABLE IF EXISTS events_sorted'); // left by a crash mid-sort
    await dropParts(this.background);
    const [m] = await this.background.rows<{ n: bigint }>('SELECT count(*) AS n FROM events');
    this.mainRows = Number(m.n);
    const next = await this.background.use((c) => this.hot.next(c, this.hotPolicy));
    this.hotDue = next !== this.hot;
    this.rollup = await RollupState.load(this.background);
    this.traitsDue = await currentTraitsUnsorted(this.background);
  }

  /** Worth doing: the unsorted tail is big in absolute terms or relative to the sorted part, or new hot columns are due. */
  due(): boolean {
    const tail = this.writer.tailRows;
    return this.hotDue || this.traitsDue || this.rollupDue() || tail >= 1_000_000 || (tail >= 20_000 && tail >= this.mainRows * 0.1);
  }

  /** Summaries are missing or stale (or, with `hotGrew`, lack the new hot slots), and the store is big enough for them. */
  private rollupDue(hotGrew = false): boolean {
    const rows = this.mainRows + this.writer.tailRows;
    if (rows < this.rollupPolicy.minRows || Date.now() - this.rollupFailedAt < ROLLUP_RETRY_MS) return false;
    if (hotGrew || !this.rollup) return true;
    return Date.now() >= this.rollupNotBefore && this.rollup.stale(rows, this.rollupPolicy);
  }

  /** Resolves once no reorganization is in progress. */
  async whenIdle(): Promise<void> {
    await this.running?.catch(() => undefined);
  }

  /**
   * Sorts the committed tail into `events`, then does the upkeep that reads whole tables
   * when due: rebuilding the summaries, sorting the current traits again. `upkeep: false`
   * leaves it for a later call: a bulk load that reorganizes after every slice (the seed)
   * does it once at the end instead of once per slice. Such a run summarizes the rows it
   * sorted in (event-rollup-parts.ts), so the end's build only adds the last part.
   * While one runs, a call returns the running one.
   */
  reorganize(opts: { upkeep?: boolean } = {}): Promise<{ moved: number }> {
    if (!this.running) {
      this.running = this.run(opts.upkeep ?? true).finally(() => {
        this.running = null;
      });
    }
    return this.running;
  }

  private async run(upkeep: boolean): Promise<{ moved: number }> {
    const grew = this.hot;
    const { moved, upTo } = await this.sortTail();
    const r = { moved };
    const hotGrew = this.hot !== grew;
    if (!upkeep) {
      if (hotGrew) this.rollupDeferred = true; // the skipped build would have been due for the new slots
      await this.addPart(upTo);
      return r;
    }
    if (this.rollupDue(hotGrew || this.rollupDeferred)) {
      await this.rebuildRollup();
      this.rollupDeferred = false;
    }
    await this.parts?.giveUp(); // not used by a build: stale from now on
    this.parts = undefined;
    // Checked after each reorganization (trait rows arrive with the events it follows).
    if (this.traitsDue || (await currentTraitsUnsorted(this.background))) {
      await sortCurrentTraits(this.background, this.writer);
      this.traitsDue = false;
    }
    return r;
  }

  /**
   * The summaries of the rows a deferred run sorted in, once the store is big enough to have
   * them. A failure only costs the parts: the build at the upkeep then reads every event.
   */
  private async addPart(upTo: number): Promise<void> {
    if (this.mainRows + this.writer.tailRows < this.rollupPolicy.minRows) return;
    try {
      this.parts ??= await RollupParts.start(this.background, this.writer.merges.length);
      if (this.parts.usable) await this.parts.add(this.hot, upTo, this.writer.merges.length);
    } catch {
      await this.parts?.giveUp().catch(() => undefined);
    }
  }

  /** The summaries from the parts when they equal a full build (undefined otherwise, or on failure). */
  private async fromParts(upTo: number): Promise<RollupState | undefined> {
    const parts = this.parts;
    this.parts = undefined;
    if (!parts?.usable) return undefined;
    return parts.finish(this.hot, upTo, this.writer.merges.length).catch(() => undefined);
  }

  /** New summaries of every event committed so far, swapped in between two group commits. */
  private async rebuildRollup(): Promise<void> {
    const started = Date.now();
    const upTo = await this.writer.exclusive(async () => this.writer.lastSeq);
    try {
      const fromParts = await this.fromParts(upTo);
      const next = fromParts ?? (await buildRollup(this.background, this.hot, upTo));
      await this.writer.exclusive(async (c) => {
        await c.run('BEGIN TRANSACTION');
        try {
          await adoptRollup(c, next);
          await c.run('COMMIT');
        } catch (err) {
          await c.run('ROLLBACK').catch(() => undefined);
          throw err;
        }
      });
      this.rollup = next;
      this.rollupBuiltFrom = fromParts ? 'parts' : 'whole';
      const now = Date.now();
      this.rollupNotBefore = now + (this.rollupPolicy.spacing ?? 0) * (now - started);
    } catch (err) {
      this.rollupFailedAt = Date.now();
      throw err;
    } finally {
      await this.background.run('DROP TABLE IF EXISTS event_rollup_next');
      await this.background.run('DROP TABLE IF EXISTS event_rollup_keys_next');
    }
  }

  /**
   * The common case (a sorted run appended to a large `events`) without the copy through
   * `events_sorted`: the run is inserted straight into `events` in a transaction of the
   * background connection, and at the hand-over (writer held, so no group commit interleaves)
   * the same transaction trims the tail and commits. Writing the rows once instead of twice
   * was a third of the seed's reorganization. A person merge committed meanwhile updated tail
   * rows this transaction deletes (a write conflict) and changed uids the run carries: then it
   * rolls back and returns undefined, and the caller takes the path through `events_sorted`,
   * which replays merges.
   */
  private async appendRunInPlace(tailRun: string, next: HotColumns, upTo: number, mergesSeen: number): Promise<{ moved: number; upTo: number } | undefined> {
    const cols = next.allColumns();
    // The whole transaction in one use() of the background lane, so nothing else queued on
    // it (recordMetadataEngine) runs inside. Waiting for the writer meanwhile cannot deadlock:
    // no holder of the writer waits for the background lane.
    return this.background.use(async (c) => {
      await c.run('BEGIN TRANSACTION');
      let open = true;
      try {
        await c.run(`INSERT INTO events (${cols}) ${tailRun}`, [upTo]);
        return await this.writer.exclusive(async () => {
          if (this.writer.merges.length !== mergesSeen) return undefined;
          const moved = Number((await c.run('DELETE FROM events_tail WHERE seq <= ?', [upTo])).rowsChanged);
          await c.run('COMMIT');
          open = false;
          await checkpointTrimmed(c);
          const [m] = (await c.runAndReadAll('SELECT count(*) AS n FROM events')).getRowObjects();
          this.mainRows = Number(m.n);
          this.hotDue = false;
          this.writer.tailRows = Math.max(0, this.writer.tailRows - moved);
          return { moved, upTo };
        });
      } finally {
        if (open) await c.run('ROLLBACK').catch(() => undefined);
      }
    });
  }

  /** Sorts the tail in; `upTo`: the last seq of the rows sorted in (every event up to it is in `events`). */
  private async sortTail(): Promise<{ moved: number; upTo: number }> {
    // What to sort is fixed first, in the call itself: the writer's queue is FIFO, so this
    // runs before whatever the caller queues next (the seed's next slice), and the sort of
    // the rows committed so far overlaps the next load instead of waiting for it to finish.
    const { upTo, mergesSeen, tail } = await this.writer.exclusive(async () => ({
      upTo: this.writer.lastSeq,
      mergesSeen: this.writer.merges.length,
      tail: this.writer.tailRows,
    }));
    // Only this lane changes the hot set, so it can be read off the writer (it counts events per name).
    const next = await this.background.use((c) => this.hot.next(c, this.hotPolicy));
    const grows = next !== this.hot;
    if (tail === 0 && !grows) return { moved: 0, upTo }; // nothing to sort in, no column to add
    const rewrite = this.mainRows < this.fullRewriteBelow && tail < this.minRunRows;
    // rewrite: everything sorted again; rebuild: `events` copied in its order with the new
    // columns, then the tail's sorted run; otherwise the tail's sorted run is appended.
    const replace = rewrite || grows;
    // Values are computed on the sorted rows (projections keep the order), so the sort does not carry them.
    const sorted = (rows: string) => next.withValues(`(SELECT ${BASE_COLUMNS} FROM ${rows} ORDER BY event, ts) AS sorted`);
    const tailRun = sorted('events_tail WHERE seq <= ?');
    if (rewrite && !grows) {
      // Sorted rows keep the values they have; only the tail's are computed (JSON parsing
      // costs far more than carrying the columns through the sort).
      const cols = next.allColumns();
      await this.background.run(
        `CREATE TABLE events_sorted AS SELECT ${cols} FROM (SELECT ${cols} FROM events UNION ALL ${next.withValues('events_tail', 'WHERE seq <= ?')}) ORDER BY event, ts`,
        [upTo],
      );
    } else if (rewrite) {
      await this.background.run(
        `CREATE TABLE events_sorted AS ${sorted(`(SELECT ${BASE_COLUMNS} FROM events UNION ALL SELECT ${BASE_COLUMNS} FROM events_tail WHERE seq <= ?)`)}`,
        [upTo],
      );
    } else if (grows) {
      await this.background.run(`CREATE TABLE events_sorted AS ${next.withValues('events')}`);
      await this.background.run(`INSERT INTO events_sorted ${tailRun}`, [upTo]);
    } else {
      const done = await this.appendRunInPlace(tailRun, next, upTo, mergesSeen);
      if (done) return done;
      await this.background.run(`CREATE TABLE events_sorted AS ${tailRun}`, [upTo]);
    }
    try {
      return await this.writer.exclusive(async (c) => {
        await c.run('BEGIN TRANSACTION');
        try {
          for (const m of this.writer.merges.slice(mergesSeen)) {
            await c.run('UPDATE events_sorted SET uid = ? WHERE uid = ?', [m.into, m.from]);
          }
          if (replace) {
            await c.run('DROP TABLE events');
            await c.run('ALTER TABLE events_sorted RENAME TO events');
            if (grows) await this.hot.adopt(c, next);
          } else {
            const cols = next.allColumns();
            await c.run(`INSERT INTO events (${cols}) SELECT ${cols} FROM events_sorted`);
            await c.run('DROP TABLE events_sorted');
          }
          const r = await c.run('DELETE FROM events_tail WHERE seq <= ?', [upTo]);
          await c.run('COMMIT');
          await checkpointTrimmed(c);
          this.hot = next;
          this.hotDue = false;
          const moved = Number(r.rowsChanged);
          const [m] = (await c.runAndReadAll('SELECT count(*) AS n FROM events')).getRowObjects();
          this.mainRows = Number(m.n);
          this.writer.tailRows = Math.max(0, this.writer.tailRows - moved);
          return { moved, upTo };
        } catch (err) {
          await c.run('ROLLBACK').catch(() => undefined);
          throw err;
        }
      });
    } finally {
      await this.background.run('DROP TABLE IF EXISTS events_sorted');
    }
  }
}
