/**
 * Job leases: the port that makes each background job (a scheduled cohort
 * refresh, a sync run, a step action) run once at a time across every process
 * sharing a metadata store. A holder renews its lease while it works; a holder
 * that dies stops renewing, the lease expires, and another process may take it.
 * Expiry is judged by the store's clock (one clock for every process).
 */
export interface JobLeases {
  /**
   * Takes `key` for `ttlMs` when it is free or its lease expired (or already
   * this owner's: then it is renewed). false while another owner holds it.
   */
  acquire(key: string, owner: string, ttlMs: number): Promise<boolean>;
  /** Extends this owner's lease; false when it expired and was taken (or released). */
  renew(key: string, owner: string, ttlMs: number): Promise<boolean>;
  /** Gives the lease up now (no-op unless this owner holds it). */
  release(key: string, owner: string): Promise<void>;
  /** Whether anyone holds an unexpired lease on `key`. */
  held(key: string): Promise<boolean>;
}
