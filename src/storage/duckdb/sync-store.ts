import { streamTextPages } from './stream-pages.js';
import { BIGINT, DuckDBConnection, LIST, listValue, VARCHAR, type DuckDBType } from '@duckdb/node-api';
import type { DestinationRecord } from '../../schemas/destination.js';
import type { SyncRecord, SyncRun } from '../../schemas/sync.js';
import {
  DestinationInUseError,
  SyncExistsError,
  type InFlightBatch,
  type NewDestination,
  type NewSync,
  type SyncPatch,
  type SyncStore,
} from '../sync-store.js';
import { RUN_COLUMNS, SYNC_COLUMNS, toDestination, toRun, toSync, type Row } from './sync-rows.js';
import { ms, TS } from './time-values.js';

/** Anything that hands out exclusive use of a connection (e.g. the shared SerialConnection). */
export interface ConnectionLease {
  use<T>(fn: (c: DuckDBConnection) => Promise<T>): Promise<T>;
}

/** Serializes statements on a bare connection so transactions never interleave. */
class OwnLease implements ConnectionLease {
  private tail: Promise<unknown> = Promise.resolve();
  constructor(private readonly conn: DuckDBConnection) {}
  use<T>(fn: (c: DuckDBConnection) => Promise<T>): Promise<T> {
    const next = this.tail.then(() => fn(this.conn));
    this.tail = next.catch(() => undefined);
    return next;
  }
}

/** Ids per statement when writing acknowledged sets (bounded statement size). */
const CHUNK = 10_000;

function isConstraintError(err: unknown): boolean {
  return /constraint|duplicate key/i.test((err as Error).message ?? '');
}

/**
 * DuckDB adapter of the SyncStore port. Takes an open connection (or a lease on
 * a shared one); its tables come from SYNC_MIGRATIONS, applied by the caller.
 */
export class DuckDBSyncStore implements SyncStore {
  private readonly lease: ConnectionLease;
  /** Where acknowledged sets are streamed from: a run records and commits batches on `lease` meanwhile. */
  private readonly reads: ConnectionLease;

  constructor(conn: DuckDBConnection | ConnectionLease, reads?: DuckDBConnection | ConnectionLease) {
    this.lease = conn instanceof DuckDBConnection ? new OwnLease(conn) : conn;
    this.reads = reads === undefined ? this.lease : reads instanceof DuckDBConnection ? new OwnLease(reads) : reads;
  }

  private rows(sql: string, params: unknown[] = [], types?: DuckDBType[]): Promise<Row[]> {
    return this.lease.use(async (c) => (await c.runAndReadAll(sql, params as never, types)).getRowObjectsJS() as Row[]);
  }

  private run(sql: string, params: unknown[] = [], types?: DuckDBType[]): Promise<void> {
    return this.lease.use(async (c) => {
      await c.run(sql, params as never, types);
    });
  }

  /** Several statements as one transaction, with exclusive use of the connection. */
  private tx<T>(fn: (q: (sql: string, params?: unknown[], types?: DuckDBType[]) => Promise<Row[]>) => Promise<T>): Promise<T> {
    return this.lease.use(async (c) => {
      await c.run('BEGIN TRANSACTION');
      try {
        const out = await fn(async (sql, params = [], types) => (await c.runAndReadAll(sql, params as never, types)).getRowObjectsJS() as Row[]);
        await c.run('COMMIT');
        return out;
      } catch (err) {
        await c.run('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
  }

  // Destinations

  async createDestination(d: NewDestination): Promise<DestinationRecord> {
    await this.run(`INSERT INTO sync_destinations VALUES (?, ?, ?, ?, ${TS}, ${TS})`, [
      d.id,
      d.name,
      d.type,
      JSON.stringify(d.config),
      ms(d.now),
      ms(d.now),
    ]);
    return (await this.getDestination(d.id))!;
  }

  async getDestination(id: string): Promise<DestinationRecord | null> {
    const [r] = await this.rows(
      `SELECT id, name, type, config, epoch_ms(created_at) AS created_at, epoch_ms(updated_at) AS updated_at FROM sync_destinations WHERE id = ?`,
      [id],
    );
    return r ? toDestination(r) : null;
  }

  async listDestinations(): Promise<DestinationRecord[]> {
    const rows = await this.rows(
      `SELECT id, name, type, config, epoch_ms(created_at) AS created_at, epoch_ms(updated_at) AS updated_at FROM sync_destinations ORDER BY created_at, id`,
    );
    return rows.map(toDestination);
  }

  async updateDestination(id: string, patch: { name?: string; config?: Record<string, unknown>; now: Date }): Promise<DestinationRecord | null> {
    const found = await this.tx(async (q) => {
      const [r] = await q('SELECT id FROM sync_destinations WHERE id = ?', [id]);
      if (!r) return false;
      await q(
        `UPDATE sync_destinations SET name = coalesce(?, name), config = coalesce(CAST(? AS JSON), config), updated_at = ${TS} WHERE id = ?`,
        [patch.name ?? null, patch.config ? JSON.stringify(patch.config) : null, ms(patch.now), id],
      );
      // "Paused until the destination is updated": the update lifts auth pauses.
      await q(
        `UPDATE sync_jobs SET paused_reason = NULL, state = 'idle', updated_at = ${TS} WHERE destination_id = ? AND paused_reason = 'auth_failed'`,
        [ms(patch.now), id],
      );
      return true;
    });
    return found ? this.getDestination(id) : null;
  }

  async deleteDestination(id: string, opts: { force?: boolean } = {}): Promise<boolean> {
    return this.tx(async (q) => {
      const [r] = await q('SELECT id FROM sync_destinations WHERE id = ?', [id]);
      if (!r) return false;
      const users = (await q('SELECT id FROM sync_jobs WHERE destination_id = ? ORDER BY id', [id])).map((s) => String(s.id));
      if (users.length && !opts.force) throw new DestinationInUseError(users);
      for (const syncId of users) await this.deleteSyncRows(q, syncId);
      await q('DELETE FROM sync_destinations WHERE id = ?', [id]);
      return true;
    });
  }

  // Syncs

  async createSync(s: NewSync): Promise<SyncRecord> {
    try {
      await this.run(
        `INSERT INTO sync_jobs VALUES (?, ?, ?, ?, ?, NULL, 'idle', ${TS}, '{}', NULL, ${TS}, ${TS})`,
        [s.id, s.cohortId, s.destinationId, s.frequency, s.batchSize, ms(s.nextRunAt), ms(s.now), ms(s.now)],
      );
    } catch (err) {
      if (!isConstraintError(err)) throw err;
      const [existing] = await this.rows('SELECT id FROM sync_jobs WHERE cohort_id = ? AND destination_id = ?', [s.cohortId, s.destinationId]);
      if (existing) throw new SyncExistsError(String(existing.id));
      throw err;
    }
    return (await this.getSync(s.id))!;
  }

  private async withLastRuns(rows: Row[]): Promise<SyncRecord[]> {
    if (!rows.length) return [];
    const ids = rows.map((r) => String(r.id));
    const runs = await this.rows(
      `SELECT ${RUN_COLUMNS} FROM sync_runs WHERE sync_id IN (SELECT unnest(?))
       QUALIFY row_number() OVER (PARTITION BY sync_id ORDER BY started_at DESC, seq DESC) = 1`,
      [listValue(ids)],
      [LIST(VARCHAR)],
    );
    const last = new Map(runs.map((r) => [String(r.sync_id), toRun(r)]));
    return rows.map((r) => toSync(r, last.get(String(r.id)) ?? null));
  }

  async getSync(id: string): Promise<SyncRecord | null> {
    const [s] = await this.withLastRuns(await this.rows(`SELECT ${SYNC_COLUMNS} FROM sync_jobs WHERE id = ?`, [id]));
    return s ?? null;
  }

  async listSyncs(filter: { cohortId?: string; destinationId?: string } = {}): Promise<SyncRecord[]> {
    const rows = await this.rows(
      `SELECT ${SYNC_COLUMNS} FROM sync_jobs WHERE (? IS NULL OR cohort_id = ?) AND (? IS NULL OR destination_id = ?) ORDER BY created_at, id`,
      [filter.cohortId ?? null, filter.cohortId ?? null, filter.destinationId ?? null, filter.destinationId ?? null],
      [VARCHAR, VARCHAR, VARCHAR, VARCHAR],
    );
    return this.withLastRuns(rows);
  }

  async updateSync(id: string, patch: SyncPatch): Promise<SyncRecord | null> {
    const sets: string[] = [];
    const params: unknown[] = [];
    const types: DuckDBType[] = [];
    const set = (col: string, expr: string, value: unknown, type: DuckDBType) => {
      sets.push(`${col} = ${expr}`);
      params.push(value);
      types.push(type);
    };
    if (patch.frequency !== undefined) set('frequency', '?', patch.frequency, VARCHAR);
    if (patch.batchSize !== undefined) set('batch_size', 'CAST(? AS INTEGER)', patch.batchSize, BIGINT);
    if (patch.pausedReason !== undefined) set('paused_reason', '?', patch.pausedReason, VARCHAR);
    if (patch.state !== undefined) set('state', '?', patch.state, VARCHAR);
    if (patch.nextRunAt !== undefined) set('next_run_at', TS, ms(patch.nextRunAt), BIGINT);
    if (patch.fullSyncDoneAt !== undefined) set('full_sync_done_at', TS, ms(patch.fullSyncDoneAt), BIGINT);
    set('updated_at', TS, ms(patch.now), BIGINT);
    await this.run(`UPDATE sync_jobs SET ${sets.join(', ')} WHERE id = ?`, [...params, id], [...types, VARCHAR]);
    return this.getSync(id);
  }

  private async deleteSyncRows(q: (sql: string, params?: unknown[]) => Promise<Row[]>, id: string): Promise<void> {
    await q('DELETE FROM sync_acknowledged WHERE sync_id = ?', [id]);
    await q('DELETE FROM sync_inflight WHERE sync_id = ?', [id]);
    await q('DELETE FROM sync_runs WHERE sync_id = ?', [id]);
    await q('DELETE FROM sync_jobs WHERE id = ?', [id]);
  }

  async deleteSync(id: string): Promise<boolean> {
    return this.tx(async (q) => {
      const [r] = await q('SELECT id FROM sync_jobs WHERE id = ?', [id]);
      if (!r) return false;
      await this.deleteSyncRows(q, id);
      return true;
    });
  }

  async listDueSyncs(now: Date): Promise<SyncRecord[]> {
    const rows = await this.rows(
      `SELECT ${SYNC_COLUMNS} FROM sync_jobs
       WHERE paused_reason IS NULL AND next_run_at IS NOT NULL AND next_run_at <= ${TS} ORDER BY next_run_at, id`,
      [ms(now)],
    );
    return this.withLastRuns(rows);
  }

  async mergeProtocolState(syncId: string, patch: Record<string, unknown>): Promise<void> {
    await this.tx(async (q) => {
      const [r] = await q('SELECT protocol_state FROM sync_jobs WHERE id = ?', [syncId]);
      if (!r) return;
      const merged = { ...JSON.parse(String(r.protocol_state)), ...patch };
      await q('UPDATE sync_jobs SET protocol_state = ? WHERE id = ?', [JSON.stringify(merged), syncId]);
    });
  }

  // Acknowledged sets

  async acknowledged(syncId: string): Promise<string[]> {
    return this.lease.use(async (c) => {
      // Sorted, like the members: the planner then merges instead of hashing 1M ids.
      const reader = await c.runAndReadAll('SELECT DISTINCT user_id FROM sync_acknowledged WHERE sync_id = ? ORDER BY user_id', [syncId]);
      return (reader.getColumnsJS()[0] ?? []) as string[];
    });
  }

  acknowledgedPages(syncId: string): AsyncIterable<string[]> {
    // Binary collation: code point order. Repeats (the table has no unique index) are
    // dropped as the sorted rows arrive: DISTINCT before the sort made the first page
    // of 1M ids 3-5x later (bench/RESULTS.md). Read on its own connection, so the
    // run records and commits batches on the store's connection meanwhile.
    return streamTextPages((fn) => this.reads.use(fn), 'SELECT user_id FROM sync_acknowledged WHERE sync_id = ? ORDER BY user_id', [syncId], 10_000, {
      dropRepeats: true,
    });
  }

  /**
   * Group commit: batches accepted while a commit is being written wait for it
   * and then go together in the next transaction (4 in flight: up to 4 per
   * transaction). Each caller resolves once its ids are committed, so "committed
   * right after the batch" holds; per-batch transactions were what bounded a full sync.
   */
  commitBatch(syncId: string, op: 'add' | 'remove', userIds: string[], opts: { endKey?: string } = {}): Promise<void> {
    if (!userIds.length && opts.endKey === undefined) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.commitQueue.push({ syncId, op, userIds, endKey: opts.endKey, resolve, reject });
      this.flushing ??= this.flushCommits();
    });
  }

  async beginBatch(syncId: string, b: InFlightBatch): Promise<void> {
    await this.run('INSERT INTO sync_inflight (sync_id, batch_key, op, user_ids) VALUES (?, ?, ?, ?)', [syncId, b.key, b.op, JSON.stringify(b.userIds)]);
  }

  async inFlightBatches(syncId: string): Promise<InFlightBatch[]> {
    const rows = await this.rows('SELECT batch_key, op, user_ids FROM sync_inflight WHERE sync_id = ? ORDER BY seq', [syncId]);
    return rows.map((r) => ({ key: String(r.batch_key), op: r.op as 'add' | 'remove', userIds: JSON.parse(String(r.user_ids)) as string[] }));
  }

  async endBatch(syncId: string, key: string): Promise<void> {
    await this.run('DELETE FROM sync_inflight WHERE sync_id = ? AND batch_key = ?', [syncId, key]);
  }

  private commitQueue: { syncId: string; op: 'add' | 'remove'; userIds: string[]; endKey?: string; resolve: () => void; reject: (e: unknown) => void }[] = [];
  private flushing: Promise<void> | null = null;

  private async flushCommits(): Promise<void> {
    while (this.commitQueue.length) {
      const group = this.commitQueue.splice(0);
      try {
        // One transaction for the group, however large (file exports commit a whole run);
        // in arrival order, so an add and a later remove of one user keep their order.
        await this.tx(async (q) => {
          for (const e of group) {
            // Ids travel as one JSON text: binding a LIST value converts each string
            // separately and cost about a third of the statement.
            const sql =
              e.op === 'add'
                ? `INSERT INTO sync_acknowledged SELECT ?, unnest(from_json(?, '["VARCHAR"]'))`
                : `DELETE FROM sync_acknowledged WHERE sync_id = ? AND user_id IN (SELECT unnest(from_json(?, '["VARCHAR"]')))`;
            for (let i = 0; i < e.userIds.length; i += CHUNK) {
              await q(sql, [e.syncId, JSON.stringify(e.userIds.slice(i, i + CHUNK))], [VARCHAR, VARCHAR]);
            }
            if (e.endKey !== undefined) await q('DELETE FROM sync_inflight WHERE sync_id = ? AND batch_key = ?', [e.syncId, e.endKey]);
          }
        });
        for (const e of group) e.resolve();
      } catch (err) {
        for (const e of group) e.reject(err);
      }
    }
    this.flushing = null;
  }

  // Runs

  async insertRun(run: SyncRun): Promise<void> {
    await this.run(
      `INSERT INTO sync_runs (id, sync_id, started_at, finished_at, status, "full", trigger, added, removed, failed, skipped, requests, retries, errors)
       VALUES (?, ?, ${TS}, ${TS}, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        run.id,
        run.syncId,
        ms(run.startedAt),
        ms(run.finishedAt),
        run.status,
        run.full,
        run.trigger,
        run.added,
        run.removed,
        run.failed,
        run.skipped,
        run.requests,
        run.retries,
        JSON.stringify(run.errors),
      ],
    );
  }

  async updateRun(run: SyncRun): Promise<void> {
    await this.run(
      `UPDATE sync_runs SET finished_at = ${TS}, status = ?, "full" = ?, added = ?, removed = ?, failed = ?, skipped = ?,
         requests = ?, retries = ?, errors = ? WHERE id = ?`,
      [
        ms(run.finishedAt),
        run.status,
        run.full,
        run.added,
        run.removed,
        run.failed,
        run.skipped,
        run.requests,
        run.retries,
        JSON.stringify(run.errors),
        run.id,
      ],
    );
  }

  async getRun(id: string): Promise<SyncRun | null> {
    const [r] = await this.rows(`SELECT ${RUN_COLUMNS} FROM sync_runs WHERE id = ?`, [id]);
    return r ? toRun(r) : null;
  }

  async listRuns(syncId: string, opts: { limit?: number } = {}): Promise<SyncRun[]> {
    const rows = await this.rows(
      `SELECT ${RUN_COLUMNS} FROM sync_runs WHERE sync_id = ? ORDER BY started_at DESC, seq DESC LIMIT ?`,
      [syncId, Math.max(1, Math.min(opts.limit ?? 100, 10_000))],
    );
    return rows.map(toRun);
  }

  async failInterruptedRuns(now: Date, message: string): Promise<string[]> {
    return this.tx(async (q) => {
      const running = await q(`SELECT ${RUN_COLUMNS} FROM sync_runs WHERE status = 'running'`);
      for (const r of running) {
        const run = toRun(r);
        run.errors.push({ at: now, status: null, message, sampleUserIds: [] });
        await q(`UPDATE sync_runs SET status = 'failed', finished_at = ${TS}, errors = ? WHERE id = ?`, [ms(now), JSON.stringify(run.errors), run.id]);
        await q(`UPDATE sync_jobs SET state = 'failing', updated_at = ${TS} WHERE id = ?`, [ms(now), run.syncId]);
      }
      return running.map((r) => String(r.sync_id));
    });
  }
}
