import { randomUUID } from 'node:crypto';
import type { JobLeases } from '../storage/job-leases.js';

/** A lease this process holds and keeps renewing until `release()`. */
export interface HeldLease {
  /** Aborts when a renewal finds the lease taken (or renewals kept failing past expiry): stop working. */
  readonly lost: AbortSignal;
  release(): Promise<void>;
}

export interface LeaseKeeperOptions {
  /** This process's owner id (default: a fresh UUID per process). */
  owner?: string;
  /** Lease length; renewed every third of it. The contract's bound is 60 s. */
  ttlMs?: number;
}

/**
 * Takes job leases for this process and renews them in the background while
 * the job runs, so a live holder keeps its job and a dead one loses it within
 * `ttlMs`. Renewal uses real timers (never a test's fake clock): expiry is judged
 * by the store's clock.
 */
export class LeaseKeeper {
  readonly owner: string;
  readonly ttlMs: number;
  /** Keys this process holds: a second taker in the same process is refused too (the owner id is shared). */
  private readonly mine = new Set<string>();

  constructor(
    private readonly leases: JobLeases,
    opts: LeaseKeeperOptions = {},
  ) {
    this.owner = opts.owner ?? randomUUID();
    this.ttlMs = Math.min(opts.ttlMs ?? 30_000, 60_000);
  }

  /** The lease on `key`, or null while another process (or another job of this one) holds it. */
  async hold(key: string): Promise<HeldLease | null> {
    if (this.mine.has(key)) return null;
    this.mine.add(key);
    let acquired = false;
    try {
      acquired = await this.leases.acquire(key, this.owner, this.ttlMs);
    } finally {
      if (!acquired) this.mine.delete(key);
    }
    if (!acquired) return null;
    const lost = new AbortController();
    let lastRenewed = Date.now();
    let renewing: Promise<void> | null = null;
    const timer = setInterval(() => {
      renewing ??= (async () => {
        try {
          if (await this.leases.renew(key, this.owner, this.ttlMs)) lastRenewed = Date.now();
          else lost.abort();
        } catch {
          // The store is unreachable: past the expiry another process may have the job.
          if (Date.now() - lastRenewed >= this.ttlMs) lost.abort();
        } finally {
          renewing = null;
        }
      })();
    }, Math.max(10, Math.floor(this.ttlMs / 3)));
    timer.unref();
    let released: Promise<void> | null = null;
    return {
      lost: lost.signal,
      release: () =>
        (released ??= (async () => {
          clearInterval(timer);
          await renewing;
          try {
            if (!lost.signal.aborted) await this.leases.release(key, this.owner);
          } finally {
            this.mine.delete(key);
          }
        })()),
    };
  }

  /** Whether any process (this one included) holds `key`. */
  held(key: string): Promise<boolean> {
    return this.leases.held(key);
  }
}
