import type pg from 'pg';
import { WriteTx, WriteTxConflict } from '../write-tx.js';
import type { PgDatabase, PgQueryable } from './database.js';

const SAVEPOINT = /^[a-z_][a-z0-9_]*$/;

/** Deadlock (40P01) or serialization failure (40001): the whole transaction may be retried. */
function conflict(err: unknown): unknown {
  const code = (err as { code?: string })?.code;
  return code === '40P01' || code === '40001' ? new WriteTxConflict((err as Error).message) : err;
}

/** A WriteTx on one pooled client inside BEGIN; the PostgreSQL identity and dedup adapters run their statements on it. */
export class PgWriteTx implements WriteTx, PgQueryable {
  private done = false;
  constructor(private readonly client: pg.PoolClient) {}

  static async begin(db: PgDatabase): Promise<PgWriteTx> {
    const c = await db.pool.connect();
    try {
      await c.query('BEGIN');
    } catch (err) {
      c.release();
      throw err;
    }
    return new PgWriteTx(c);
  }

  async query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    if (this.done) throw new Error('transaction already ended');
    try {
      return (await this.client.query(sql, params)).rows as T[];
    } catch (err) {
      throw conflict(err);
    }
  }

  async savepoint(name: string): Promise<void> {
    if (!SAVEPOINT.test(name)) throw new Error('invalid savepoint name');
    await this.query(`SAVEPOINT ${name}`);
  }

  async rollbackTo(name: string): Promise<void> {
    if (!SAVEPOINT.test(name)) throw new Error('invalid savepoint name');
    await this.query(`ROLLBACK TO SAVEPOINT ${name}`);
  }

  async commit(): Promise<void> {
    await this.end('COMMIT');
  }

  async rollback(): Promise<void> {
    if (this.done) return;
    await this.end('ROLLBACK').catch(() => undefined);
  }

  private async end(statement: string): Promise<void> {
    if (this.done) throw new Error('transaction already ended');
    this.done = true;
    try {
      await this.client.query(statement);
    } catch (err) {
      // A failed COMMIT leaves the client unusable for others: drop it from the pool.
      this.client.release(err as Error);
      throw conflict(err);
    }
    this.client.release();
  }
}

export function pgTx(tx: WriteTx): PgWriteTx {
  if (!(tx instanceof PgWriteTx)) throw new Error('not a PostgreSQL write transaction');
  return tx;
}
