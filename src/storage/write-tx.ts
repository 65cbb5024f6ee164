/**
 * One transaction of the metadata engine spanning a group of event writes on a
 * distributed events engine (ClickHouse): identity changes, dedup claims and
 * person locks of the group are taken in it, and it is committed only after
 * the events engine acknowledged the rows (rolled back when that failed), so
 * that another process waits on what this one has not stored yet.
 *
 * Adapters of one metadata engine share their transaction type (PostgreSQL:
 * one client inside BEGIN); the ports only pass it along.
 */
export interface WriteTx {
  /** Marks a point the adapters' later work can be undone to without losing earlier work. */
  savepoint(name: string): Promise<void>;
  rollbackTo(name: string): Promise<void>;
  commit(): Promise<void>;
  rollback(): Promise<void>;
}

/** A transaction failed on a lock cycle with another process and can be retried as a whole. */
export class WriteTxConflict extends Error {}
