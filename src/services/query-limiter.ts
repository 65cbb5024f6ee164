import { ServiceError } from './errors.js';

/**
 * Limits for expensive reads (preview, explain, diff, analytics, contacts;
 * api.md, Security rules): at most `concurrency` at once, more wait up to
 * `queueWaitMs` for a slot and then get a 429; each runs under `timeoutMs`,
 * past which the caller gets a 503 `query_timeout` and the query's signal is
 * aborted (adapters interrupt the engine on it). The slot is held until the
 * query has really stopped, so the cap holds even for a query that ignores
 * its signal.
 */
export interface QueryLimiter {
  run<T>(what: string, fn: (signal: AbortSignal) => Promise<T>): Promise<T>;
  /** Queries running now and waiting for a slot (tests and diagnostics). */
  readonly stats: { running: number; waiting: number };
}

export interface QueryLimitOptions {
  /** KOHORT_QUERY_CONCURRENCY (default: the number of cores). */
  concurrency: number;
  /** KOHORT_QUERY_TIMEOUT_MS (default 30000). */
  timeoutMs: number;
  /** How long a query waits for a slot before the 429 (default 2 s). */
  queueWaitMs?: number;
}

export const DEFAULT_QUERY_TIMEOUT_MS = 30_000;

export function createQueryLimiter(opts: QueryLimitOptions): QueryLimiter {
  const concurrency = Math.max(1, Math.floor(opts.concurrency));
  const queueWaitMs = opts.queueWaitMs ?? 2_000;
  let running = 0;
  const waiting: (() => void)[] = [];

  function acquire(what: string): Promise<void> {
    if (running < concurrency) {
      running++;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const grant = () => {
        clearTimeout(timer);
        running++;
        resolve();
      };
      const timer = setTimeout(() => {
        const i = waiting.indexOf(grant);
        if (i >= 0) waiting.splice(i, 1);
        const retryAfterSeconds = Math.max(1, Math.ceil(queueWaitMs / 1000));
        reject(new ServiceError(429, 'too_many_queries', `Too many expensive queries at once (${concurrency} run at a time); ${what} was not started, try again shortly`, { retryAfterSeconds }));
      }, queueWaitMs);
      timer.unref?.();
      waiting.push(grant);
    });
  }

  function release(): void {
    running--;
    const next = waiting.shift();
    if (next) next();
  }

  return {
    get stats() {
      return { running, waiting: waiting.length };
    },
    async run<T>(what: string, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
      await acquire(what);
      const controller = new AbortController();
      const work = Promise.resolve().then(() => fn(controller.signal));
      // The slot frees when the work has settled, whatever the caller was told.
      void work.then(release, release);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          controller.abort();
          reject(new ServiceError(503, 'query_timeout', `${what} took longer than ${opts.timeoutMs} ms and was stopped; narrow it down (a shorter window, fewer rules) or raise KOHORT_QUERY_TIMEOUT_MS`));
        }, opts.timeoutMs);
      });
      try {
        return await Promise.race([work, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
