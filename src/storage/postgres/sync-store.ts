import { compareCodePoints } from '../../services/syncs/plan-stream.js';
import type { DestinationRecord, DestinationType } from '../../schemas/destination.js';
import type { PausedReason, SyncFrequency, SyncRecord, SyncRun, SyncRunError, SyncRunStatus, SyncState } from '../../schemas/sync.js';
import { DestinationInUseError, SyncExistsError, type InFlightBatch, type NewDestination, type NewSync, type SyncPatch, type SyncStore } from '../sync-store.js';
import { isUniqueViolation, type PgDatabase, type PgQueryable } from './database.js';
import { decodeText, encodeTexts } from './text-values.js';

type Row = Record<string, any>;

const ADD = 'INSERT INTO sync_acknowledged (sync_id, user_id) SELECT $1, unnest($2::text[])';
const REMOVE = 'DELETE FROM sync_acknowledged WHERE sync_id = $1 AND user_id = ANY($2::text[])';

/** Acknowledged ids per page read (acknowledgedPages). */
const ACK_PAGE = 20_000;

/** Ids per statement when writing acknowledged sets (bounded statement size). */
const CHUNK = 10_000;

const RUN_COLUMNS = `id, sync_id, started_at, finished_at, status, "full", trigger, added, removed, failed, skipped, requests, retries, errors::text AS errors`;

function toRun(r: Row): SyncRun {
  const errors = (JSON.parse(r.errors) as (Omit<SyncRunError, 'at'> & { at: string })[]).map((e) => ({ ...e, at: new Date(e.at) }));
  return {
    id: r.id,
    syncId: r.sync_id,
    startedAt: r.started_at,
    finishedAt: r.finished_at ?? null,
    status: r.status as SyncRunStatus,
    full: r.full,
    trigger: r.trigger,
    added: r.added,
    removed: r.removed,
    failed: r.failed,
    skipped: r.skipped,
    requests: r.requests,
    retries: r.retries,
    errors,
  };
}

const toDestination = (r: Row): DestinationRecord => ({
  id: r.id,
  name: r.name,
  type: r.type as DestinationType,
  config: r.config,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const toSync = (r: Row, lastRun: SyncRun | null): SyncRecord => ({
  id: r.id,
  cohortId: r.cohort_id,
  destinationId: r.destination_id,
  frequency: r.frequency as SyncFrequency,
  batchSize: r.batch_size,
  paused: r.paused_reason !== null,
  pausedReason: r.paused_reason as PausedReason | null,
  state: r.state as SyncState,
  nextRunAt: r.next_run_at ?? null,
  protocolState: r.protocol_state,
  fullSyncDoneAt: r.full_sync_done_at ?? null,
  lastRun,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/**
 * PostgreSQL adapter of the SyncStore port (tables: PG_SYNC_MIGRATIONS). Safe
 * with several processes on one database: uniqueness is a constraint, and each
 * write is one transaction.
 */
export class PgSyncStore implements SyncStore {
  constructor(private readonly db: PgDatabase) {}

  // Destinations

  async createDestination(d: NewDestination): Promise<DestinationRecord> {
    const [r] = await this.db.query(
      'INSERT INTO sync_destinations VALUES ($1, $2, $3, $4, $5, $5) RETURNING *',
      [d.id, d.name, d.type, JSON.stringify(d.config), d.now],
    );
    return toDestination(r);
  }

  async getDestination(id: string): Promise<DestinationRecord | null> {
    const [r] = await this.db.query('SELECT * FROM sync_destinations WHERE id = $1', [id]);
    return r ? toDestination(r) : null;
  }

  async listDestinations(): Promise<DestinationRecord[]> {
    return (await this.db.query('SELECT * FROM sync_destinations ORDER BY created_at, id')).map(toDestination);
  }

  async updateDestination(id: string, patch: { name?: string; config?: Record<string, unknown>; now: Date }): Promise<DestinationRecord | null> {
    return this.db.tx(async (q) => {
      const [r] = await q.query(
        'UPDATE sync_destinations SET name = coalesce($1, name), config = coalesce($2::jsonb, config), updated_at = $3 WHERE id = $4 RETURNING *',
        [patch.name ?? null, patch.config ? JSON.stringify(patch.config) : null, patch.now, id],
      );
      if (!r) return null;
      // "Paused until the destination is updated": the update lifts auth pauses.
      await q.query(
        `UPDATE sync_jobs SET paused_reason = NULL, state = 'idle', updated_at = $1 WHERE destination_id = $2 AND paused_reason = 'auth_failed'`,
        [patch.now, id],
      );
      return toDestination(r);
    });
  }

  async deleteDestination(id: string, opts: { force?: boolean } = {}): Promise<boolean> {
    return this.db.tx(async (q) => {
      const [r] = await q.query('SELECT id FROM sync_destinations WHERE id = $1 FOR UPDATE', [id]);
      if (!r) return false;
      const users = (await q.query<{ id: string }>('SELECT id FROM sync_jobs WHERE destination_id = $1 ORDER BY id FOR UPDATE', [id])).map((s) => s.id);
      if (users.length && !opts.force) throw new DestinationInUseError(users);
      for (const syncId of users) await deleteSyncRows(q, syncId);
      await q.query('DELETE FROM sync_destinations WHERE id = $1', [id]);
      return true;
    });
  }

  // Syncs

  async createSync(s: NewSync): Promise<SyncRecord> {
    try {
      await this.db.query(
        `INSERT INTO sync_jobs (id, cohort_id, destination_id, frequency, batch_size, state, next_run_at, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, 'idle', $6, $7, $7)`,
        [s.id, s.cohortId, s.destinationId, s.frequency, s.batchSize, s.nextRunAt, s.now],
      );
    } catch (err) {
      if (!isUniqueViolation(err, 'sync_jobs_pair')) throw err;
      const [existing] = await this.db.query<{ id: string }>('SELECT id FROM sync_jobs WHERE cohort_id = $1 AND destination_id = $2', [s.cohortId, s.destinationId]);
      if (existing) throw new SyncExistsError(existing.id);
      throw err;
    }
    return (await this.getSync(s.id))!;
  }

  private async withLastRuns(rows: Row[]): Promise<SyncRecord[]> {
    if (!rows.length) return [];
    const runs = await this.db.query(
      `SELECT DISTINCT ON (sync_id) ${RUN_COLUMNS} FROM sync_runs WHERE sync_id = ANY($1::text[]) ORDER BY sync_id, started_at DESC, seq DESC`,
      [rows.map((r) => r.id)],
    );
    const last = new Map(runs.map((r) => [r.sync_id as string, toRun(r)]));
    return rows.map((r) => toSync(r, last.get(r.id) ?? null));
  }

  async getSync(id: string): Promise<SyncRecord | null> {
    const [s] = await this.withLastRuns(await this.db.query('SELECT * FROM sync_jobs WHERE id = $1', [id]));
    return s ?? null;
  }

  async listSyncs(filter: { cohortId?: string; destinationId?: string } = {}): Promise<SyncRecord[]> {
    const rows = await this.db.query(
      `SELECT * FROM sync_jobs WHERE ($1::text IS NULL OR cohort_id = $1) AND ($2::text IS NULL OR destination_id = $2) ORDER BY created_at, id`,
      [filter.cohortId ?? null, filter.destinationId ?? null],
    );
    return this.withLastRuns(rows);
  }

  async updateSync(id: string, patch: SyncPatch): Promise<SyncRecord | null> {
    const sets: string[] = [];
    const params: unknown[] = [];
    const set = (col: string, value: unknown) => {
      params.push(value);
      sets.push(`${col} = $${params.length}`);
    };
    if (patch.frequency !== undefined) set('frequency', patch.frequency);
    if (patch.batchSize !== undefined) set('batch_size', patch.batchSize);
    if (patch.pausedReason !== undefined) set('paused_reason', patch.pausedReason);
    if (patch.state !== undefined) set('state', patch.state);
    if (patch.nextRunAt !== undefined) set('next_run_at', patch.nextRunAt);
    if (patch.fullSyncDoneAt !== undefined) set('full_sync_done_at', patch.fullSyncDoneAt);
    set('updated_at', patch.now);
    params.push(id);
    await this.db.query(`UPDATE sync_jobs SET ${sets.join(', ')} WHERE id = $${params.length}`, params);
    return this.getSync(id);
  }

  async deleteSync(id: string): Promise<boolean> {
    return this.db.tx(async (q) => {
      const [r] = await q.query('SELECT id FROM sync_jobs WHERE id = $1 FOR UPDATE', [id]);
      if (!r) return false;
      await deleteSyncRows(q, id);
      return true;
    });
  }

  async listDueSyncs(now: Date): Promise<SyncRecord[]> {
    const rows = await this.db.query(
      `SELECT * FROM sync_jobs WHERE paused_reason IS NULL AND next_run_at IS NOT NULL AND next_run_at <= $1 ORDER BY next_run_at, id`,
      [now],
    );
    return this.withLastRuns(rows);
  }

  async mergeProtocolState(syncId: string, patch: Record<string, unknown>): Promise<void> {
    // One statement: concurrent merges from two processes both survive.
    await this.db.query('UPDATE sync_jobs SET protocol_state = protocol_state || $1::jsonb WHERE id = $2', [JSON.stringify(patch), syncId]);
  }

  // Acknowledged sets

  async acknowledged(syncId: string): Promise<string[]> {
    // Sorted (byte order), like the members: the planner then merges instead of hashing.
    const r = await this.db.pool.query<[string]>({
      text: 'SELECT user_id FROM sync_acknowledged WHERE sync_id = $1 ORDER BY user_id',
      values: [syncId],
      rowMode: 'array',
    });
    return r.rows.map((row) => decodeText(row[0]));
  }

  /**
   * Keyset pages over the primary key (sync_id, user_id COLLATE "C"): each page
   * an index range, the first out at once, not after a sort of the whole set.
   * A page read after commits of the running sync stays right: what a run
   * commits lies behind its merge (below the last id read). Ids holding a
   * backslash or NUL are stored escaped (text-values.ts), which moves them in
   * byte order: a set holding any is read whole and sorted here instead.
   */
  async *acknowledgedPages(syncId: string): AsyncGenerator<string[]> {
    const escaped = await this.db.query("SELECT 1 FROM sync_acknowledged WHERE sync_id = $1 AND strpos(user_id, '\\') > 0 LIMIT 1", [syncId]);
    if (escaped.length) {
      const all = (await this.acknowledged(syncId)).sort(compareCodePoints);
      for (let i = 0; i < all.length; i += ACK_PAGE) yield all.slice(i, i + ACK_PAGE);
      return;
    }
    let after: string | null = null;
    for (;;) {
      const r: { rows: [string][] } = await this.db.pool.query<[string]>({
        text:
          after === null
            ? 'SELECT user_id FROM sync_acknowledged WHERE sync_id = $1 ORDER BY user_id LIMIT $2'
            : 'SELECT user_id FROM sync_acknowledged WHERE sync_id = $1 AND user_id > $3 ORDER BY user_id LIMIT $2',
        values: after === null ? [syncId, ACK_PAGE] : [syncId, ACK_PAGE, after],
        rowMode: 'array',
      });
      const page: string[] = r.rows.map((row) => row[0]);
      if (page.length) yield page;
      if (page.length < ACK_PAGE) return;
      after = page[page.length - 1];
    }
  }

  /**
   * Batches accepted while a commit is being written wait for it and then go
   * together in the next transaction, in arrival order (an add and a later
   * remove of one user keep their order). Each caller resolves once committed.
   */
  commitBatch(syncId: string, op: 'add' | 'remove', userIds: string[], opts: { endKey?: string } = {}): Promise<void> {
    if (!userIds.length && opts.endKey === undefined) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.commitQueue.push({ syncId, op, userIds, endKey: opts.endKey, resolve, reject });
      this.flushing ??= this.flushCommits();
    });
  }

  async beginBatch(syncId: string, b: InFlightBatch): Promise<void> {
    await this.db.query('INSERT INTO sync_inflight (sync_id, batch_key, op, user_ids) VALUES ($1, $2, $3, $4::json)', [syncId, b.key, b.op, JSON.stringify(b.userIds)]);
  }

  async inFlightBatches(syncId: string): Promise<InFlightBatch[]> {
    const rows = await this.db.query('SELECT batch_key, op, user_ids FROM sync_inflight WHERE sync_id = $1 ORDER BY seq', [syncId]);
    return rows.map((r) => ({ key: String(r.batch_key), op: r.op as 'add' | 'remove', userIds: r.user_ids as string[] }));
  }

  async endBatch(syncId: string, key: string): Promise<void> {
    await this.db.query('DELETE FROM sync_inflight WHERE sync_id = $1 AND batch_key = $2', [syncId, key]);
  }

  private commitQueue: { syncId: string; op: 'add' | 'remove'; userIds: string[]; endKey?: string; resolve: () => void; reject: (e: unknown) => void }[] = [];
  private flushing: Promise<void> | null = null;

  private async flushCommits(): Promise<void> {
    while (this.commitQueue.length) {
      const group = this.commitQueue.splice(0);
      try {
        const statements = [...ackStatements(group.filter((e) => e.userIds.length)), ...endStatements(group)];
        if (statements.length === 1) {
          // One statement is atomic by itself: no BEGIN/COMMIT round trips (the common case).
          // A plain insert costs half of ON CONFLICT's speculative one; repeats (the planner
          // leaves none, but commits must be idempotent) fall back to the tolerant form.
          const [st] = statements;
          try {
            await this.db.query(st.plain ?? st.sql, st.params);
          } catch (err) {
            if (!st.plain || !isUniqueViolation(err)) throw err;
            await this.db.query(st.sql, st.params);
          }
        } else {
          await this.db.tx(async (q) => {
            for (const st of statements) await q.query(st.sql, st.params);
          });
        }
        for (const e of group) e.resolve();
      } catch (err) {
        for (const e of group) e.reject(err);
      }
    }
    this.flushing = null;
  }

  // Runs

  async insertRun(run: SyncRun): Promise<void> {
    await this.db.query(
      `INSERT INTO sync_runs (id, sync_id, started_at, finished_at, status, "full", trigger, added, removed, failed, skipped, requests, retries, errors)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
      [run.id, run.syncId, run.startedAt, run.finishedAt, run.status, run.full, run.trigger, run.added, run.removed, run.failed, run.skipped, run.requests, run.retries, JSON.stringify(run.errors)],
    );
  }

  async updateRun(run: SyncRun): Promise<void> {
    await this.db.query(
      `UPDATE sync_runs SET finished_at = $1, status = $2, "full" = $3, added = $4, removed = $5, failed = $6, skipped = $7,
         requests = $8, retries = $9, errors = $10 WHERE id = $11`,
      [run.finishedAt, run.status, run.full, run.added, run.removed, run.failed, run.skipped, run.requests, run.retries, JSON.stringify(run.errors), run.id],
    );
  }

  async getRun(id: string): Promise<SyncRun | null> {
    const [r] = await this.db.query(`SELECT ${RUN_COLUMNS} FROM sync_runs WHERE id = $1`, [id]);
    return r ? toRun(r) : null;
  }

  async listRuns(syncId: string, opts: { limit?: number } = {}): Promise<SyncRun[]> {
    const rows = await this.db.query(`SELECT ${RUN_COLUMNS} FROM sync_runs WHERE sync_id = $1 ORDER BY started_at DESC, seq DESC LIMIT $2`, [
      syncId,
      Math.max(1, Math.min(opts.limit ?? 100, 10_000)),
    ]);
    return rows.map(toRun);
  }

  async failInterruptedRuns(now: Date, message: string): Promise<string[]> {
    return this.db.tx(async (q) => {
      const running = (await q.query(`SELECT ${RUN_COLUMNS} FROM sync_runs WHERE status = 'running' FOR UPDATE`)).map(toRun);
      for (const run of running) {
        run.errors.push({ at: now, status: null, message, sampleUserIds: [] });
        await q.query(`UPDATE sync_runs SET status = 'failed', finished_at = $1, errors = $2 WHERE id = $3`, [now, JSON.stringify(run.errors), run.id]);
        await q.query(`UPDATE sync_jobs SET state = 'failing', updated_at = $1 WHERE id = $2`, [now, run.syncId]);
      }
      return running.map((r) => r.syncId);
    });
  }
}

/**
 * The statements of a commit group, in order: consecutive entries of one sync
 * and op share a statement (batches committed together by the runner's
 * workers), up to CHUNK ids each.
 */
function ackStatements(group: { syncId: string; op: 'add' | 'remove'; userIds: string[] }[]): { sql: string; plain?: string; params: unknown[] }[] {
  const merged: { syncId: string; op: 'add' | 'remove'; userIds: string[] }[] = [];
  for (const e of group) {
    const last = merged[merged.length - 1];
    if (last && last.syncId === e.syncId && last.op === e.op && last.userIds.length + e.userIds.length <= CHUNK) last.userIds = last.userIds.concat(e.userIds);
    else merged.push({ ...e });
  }
  const out: { sql: string; plain?: string; params: unknown[] }[] = [];
  for (const e of merged) {
    const st = e.op === 'add' ? { sql: `${ADD} ON CONFLICT DO NOTHING`, plain: ADD } : { sql: REMOVE };
    for (let i = 0; i < e.userIds.length; i += CHUNK) {
      // unnest keeps repeats within one batch: deduplicated here, so only earlier batches can collide.
      const ids = e.op === 'add' ? [...new Set(e.userIds.slice(i, i + CHUNK))] : e.userIds.slice(i, i + CHUNK);
      out.push({ ...st, params: [e.syncId, encodeTexts(ids)] });
    }
  }
  return out;
}

/** Ends the in-flight batches a commit group settles, in the group's transaction. */
function endStatements(group: { syncId: string; endKey?: string }[]): { sql: string; plain?: string; params: unknown[] }[] {
  const bySync = new Map<string, string[]>();
  for (const e of group) if (e.endKey !== undefined) bySync.set(e.syncId, [...(bySync.get(e.syncId) ?? []), e.endKey]);
  return [...bySync].map(([syncId, keys]) => ({ sql: 'DELETE FROM sync_inflight WHERE sync_id = $1 AND batch_key = ANY($2::text[])', params: [syncId, keys] }));
}

async function deleteSyncRows(q: PgQueryable, id: string): Promise<void> {
  await q.query('DELETE FROM sync_acknowledged WHERE sync_id = $1', [id]);
  await q.query('DELETE FROM sync_inflight WHERE sync_id = $1', [id]);
  await q.query('DELETE FROM sync_runs WHERE sync_id = $1', [id]);
  await q.query('DELETE FROM sync_jobs WHERE id = $1', [id]);
}
