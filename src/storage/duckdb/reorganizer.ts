import type { SerialConnection } from './database.js';
import type { EventWriter } from './event-writer.js';

/** Below this many sorted rows a reorganization rewrites the whole table; above, it appends a sorted run. */
const FULL_REWRITE_BELOW = 2_000_000;

/**
 * Keeps `events` physically ordered by (event, ts), the layout that lets
 * DuckDB's zone maps skip most row groups (measured ~10x on cohort queries).
 *
 * Fresh appends land in `events_tail`. A reorganization sorts the committed
 * tail (plus the whole of `events` while it is small) into `events_sorted` on
 * the background connection, while ingestion and reads go on; only the
 * hand-over (replaying alias merges made meanwhile, moving the sorted rows,
 * trimming the tail) runs between two group commits. A large table is thus
 * a sequence of sorted runs of a million rows or more: each run keeps an
 * event's rows together, so zone maps prune as well as on one global order,
 * and the cost of a reorganization follows the tail, not the table.
 */
export class Reorganizer {
  private running: Promise<{ moved: number }> | null = null;
  private mainRows = 0;

  constructor(
    private readonly writer: EventWriter,
    private readonly background: SerialConnection,
    private readonly fullRewriteBelow = FULL_REWRITE_BELOW,
  ) {}

  async init(): Promise<void> {
    await this.background.run('DROP TABLE IF EXISTS events_sorted'); // left by a crash mid-sort
    const [m] = await this.background.rows<{ n: bigint }>('SELECT count(*) AS n FROM events');
    this.mainRows = Number(m.n);
  }

  /** Worth doing: the unsorted tail is big in absolute terms or relative to the sorted part. */
  due(): boolean {
    const tail = this.writer.tailRows;
    return tail >= 1_000_000 || (tail >= 20_000 && tail >= this.mainRows * 0.1);
  }

  /** Resolves once no reorganization is in progress. */
  async whenIdle(): Promise<void> {
    await this.running?.catch(() => undefined);
  }

  reorganize(): Promise<{ moved: number }> {
    if (!this.running) {
      this.running = this.run().finally(() => {
        this.running = null;
      });
    }
    return this.running;
  }

  private async run(): Promise<{ moved: number }> {
    const { upTo, mergesSeen } = await this.writer.exclusive(async () => ({
      upTo: this.writer.lastSeq,
      mergesSeen: this.writer.merges.length,
    }));
    const rewrite = this.mainRows < this.fullRewriteBelow;
    await this.background.run(
      rewrite
        ? `CREATE TABLE events_sorted AS
             SELECT * FROM (SELECT * FROM events UNION ALL SELECT * FROM events_tail WHERE seq <= ?) ORDER BY event, ts`
        : 'CREATE TABLE events_sorted AS SELECT * FROM events_tail WHERE seq <= ? ORDER BY event, ts',
      [upTo],
    );
    try {
      return await this.writer.exclusive(async (c) => {
        await c.run('BEGIN TRANSACTION');
        try {
          for (const m of this.writer.merges.slice(mergesSeen)) {
            await c.run('UPDATE events_sorted SET uid = ? WHERE uid = ?', [m.into, m.from]);
          }
          if (rewrite) {
            await c.run('DROP TABLE events');
            await c.run('ALTER TABLE events_sorted RENAME TO events');
          } else {
            await c.run('INSERT INTO events SELECT * FROM events_sorted');
            await c.run('DROP TABLE events_sorted');
          }
          const r = await c.run('DELETE FROM events_tail WHERE seq <= ?', [upTo]);
          await c.run('COMMIT');
          const moved = Number(r.rowsChanged);
          const [m] = (await c.runAndReadAll('SELECT count(*) AS n FROM events')).getRowObjects();
          this.mainRows = Number(m.n);
          this.writer.tailRows = Math.max(0, this.writer.tailRows - moved);
          return { moved };
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
