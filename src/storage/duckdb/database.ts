import { tmpdir } from 'node:os';
import { DOUBLE, DuckDBConnection, DuckDBInstance, type DuckDBType } from '@duckdb/node-api';
import { CORE_MIGRATIONS, type Migration } from './migrations.js';

/**
 * Parameter types for DuckDB: the client binds a whole JS number beyond int32
 * as BIGINT, so 2^63 or 1e308 failed ("bigint out of int64 range"). A number
 * that is not a safe integer is a double in JS anyway: bind it as DOUBLE,
 * which is how the engine compares it. Undefined entries keep the default.
 */
export function paramTypes(params: readonly unknown[]): (DuckDBType | undefined)[] | undefined {
  let types: (DuckDBType | undefined)[] | undefined;
  params.forEach((v, i) => {
    if (typeof v === 'number' && Number.isInteger(v) && !Number.isSafeInteger(v)) (types ??= new Array(params.length).fill(undefined))[i] = DOUBLE;
  });
  return types;
}

/**
 * Runs `fn` on a connection held with `use`; aborting `signal` meanwhile interrupts the
 * statement running on it (only the holder's: nothing else runs on the connection).
 */
export async function interruptible<T>(c: DuckDBConnection, signal: AbortSignal | undefined, fn: () => Promise<T>): Promise<T> {
  signal?.throwIfAborted();
  const interrupt = () => c.interrupt();
  signal?.addEventListener('abort', interrupt, { once: true });
  try {
    return await fn();
  } finally {
    signal?.removeEventListener('abort', interrupt);
  }
}

/** One statement's rows on a connection held with `use`; aborting `signal` interrupts it. */
export function rowsOn<T = Record<string, unknown>>(c: DuckDBConnection, sql: string, params: unknown[] = [], signal?: AbortSignal): Promise<T[]> {
  return interruptible(c, signal, async () => (await c.runAndReadAll(sql, params as never, paramTypes(params) as never)).getRowObjects() as T[]);
}

/**
 * Serializes the statements sent on one connection: a DuckDB connection runs
 * one statement at a time, and async callers must not interleave transactions.
 */
export class SerialConnection {
  private tail: Promise<unknown> = Promise.resolve();
  constructor(readonly raw: DuckDBConnection) {}

  /** Runs fn with exclusive use of the connection. */
  use<T>(fn: (c: DuckDBConnection) => Promise<T>): Promise<T> {
    const next = this.tail.then(() => fn(this.raw));
    this.tail = next.catch(() => undefined);
    return next;
  }

  /** `signal`: aborting it interrupts the statement (only ours: it runs alone on this connection). */
  async rows<T = Record<string, unknown>>(sql: string, params: unknown[] = [], signal?: AbortSignal): Promise<T[]> {
    return this.use((c) => rowsOn<T>(c, sql, params, signal));
  }

  async run(sql: string, params: unknown[] = []): Promise<void> {
    await this.use((c) => c.run(sql, params as never, paramTypes(params) as never));
  }

  /** BEGIN ... COMMIT around fn, ROLLBACK if it throws. */
  transaction<T>(fn: (c: DuckDBConnection) => Promise<T>): Promise<T> {
    return this.use(async (c) => {
      await c.run('BEGIN TRANSACTION');
      try {
        const out = await fn(c);
        await c.run('COMMIT');
        return out;
      } catch (err) {
        await c.run('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
  }
}

/** A small pool of read connections, each used by one statement at a time. */
export class ReadPool {
  private next = 0;
  constructor(private readonly conns: SerialConnection[]) {}
  pick(): SerialConnection {
    const c = this.conns[this.next];
    this.next = (this.next + 1) % this.conns.length;
    return c;
  }
  rows<T = Record<string, unknown>>(sql: string, params: unknown[] = [], signal?: AbortSignal): Promise<T[]> {
    return this.pick().rows<T>(sql, params, signal);
  }
  closeAll(): void {
    for (const c of this.conns) c.raw.closeSync();
  }
}

export interface Database {
  instance: DuckDBInstance;
  /** The only connection that writes events (group commits, reorganization swaps). */
  writer: SerialConnection;
  /** Metadata writes (cohorts, syncs) and long background work such as sorting. */
  background: SerialConnection;
  reads: ReadPool;
  /** Opens one more connection (for adapters that want their own). */
  connect(): Promise<SerialConnection>;
  close(): Promise<void>;
}

async function applyMigrations(conn: SerialConnection, lists: readonly (readonly Migration[])[]): Promise<void> {
  await conn.run('CREATE TABLE IF NOT EXISTS schema_migrations (id VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)');
  const done = new Set((await conn.rows<{ id: string }>('SELECT id FROM schema_migrations')).map((r) => r.id));
  for (const list of lists) {
    for (const m of list) {
      if (done.has(m.id)) continue;
      await conn.transaction(async (c) => {
        await c.run(m.sql);
        await c.run('INSERT INTO schema_migrations VALUES (?, now())', [m.id]);
      });
    }
  }
}

/**
 * WAL size at which a commit checkpoints (DuckDB's default is 16 MB). Under heavy ingestion
 * 16 MB is 80-100k events, so commits stalled every 2-4 s for a checkpoint of tail rows that
 * the next reorganization deletes; the reorganizer checkpoints after each hand-over instead,
 * when they are gone (reorganizer.ts). This is the backstop between reorganizations: a tail of
 * 1M events (the most before one is due) is about 200 MB of WAL. The price is recovery after
 * a crash replaying up to this much WAL; a clean shutdown checkpoints.
 */
const CHECKPOINT_THRESHOLD = '256MB';

/**
 * Opens (creating if needed) the DuckDB file and applies every module's
 * migrations. `path` may be ':memory:' for tests.
 */
export async function openDatabase(
  path: string,
  extraMigrations: readonly (readonly Migration[])[] = [],
  opts: { readConnections?: number; memoryLimit?: string } = {},
): Promise<Database> {
  // A memory limit makes DuckDB spill big sorts (reorganization, seeding) to disk instead of growing.
  const instance = await DuckDBInstance.create(path, {
    checkpoint_threshold: CHECKPOINT_THRESHOLD,
    ...(opts.memoryLimit ? { memory_limit: opts.memoryLimit } : {}),
  });
  const connect = async () => new SerialConnection(await instance.connect());
  const writer = await connect();
  const background = await connect();
  const reads: SerialConnection[] = [];
  for (let i = 0; i < (opts.readConnections ?? 4); i++) reads.push(await connect());
  await applyMigrations(writer, [CORE_MIGRATIONS, ...extraMigrations]);
  const extra: SerialConnection[] = [];
  return {
    instance,
    writer,
    background,
    reads: new ReadPool(reads),
    async connect() {
      const c = await connect();
      extra.push(c);
      return c;
    },
    async close() {
      // Wait for statements in flight, then checkpoint so the next start is fast.
      await writer.use(async () => undefined);
      await background.use(async () => undefined);
      await writer.run('CHECKPOINT').catch(() => undefined);
      for (const c of [writer, background, ...extra]) c.raw.closeSync();
      new ReadPool(reads).closeAll();
      instance.closeSync();
    },
  };
}

/**
 * Opens an existing DuckDB file READ_ONLY (`kohort migrate --from`): no
 * migration, checkpoint or write of any kind reaches the file, and a second
 * reader is allowed while no process has it open for writing. The caller closes
 * the instance (`closeSync`) when done.
 */
export async function openDatabaseReadOnly(path: string, tempDirectory = tmpdir()): Promise<{ instance: DuckDBInstance; conn: DuckDBConnection }> {
  // A big DISTINCT may spill: into the system's temp dir, not a `.tmp` folder beside the file.
  const instance = await DuckDBInstance.create(path, { access_mode: 'READ_ONLY', temp_directory: tempDirectory });
  return { instance, conn: await instance.connect() };
}
