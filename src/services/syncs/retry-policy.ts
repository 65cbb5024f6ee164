export interface RetryPolicy {
  /** Retries after the first attempt (spec: 8). */
  maxRetries: number;
  /** First backoff (spec: 1 s), doubled per retry up to `maxDelayMs` (spec: 128 s). */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Cap on a server's Retry-After (spec: 5 min). */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxRetries: 8,
  baseDelayMs: 1_000,
  maxDelayMs: 128_000,
  maxRetryAfterMs: 300_000,
};

/**
 * Backoff before retry number `retry` (0-based): base·2^retry capped at max,
 * times a jitter factor in [0.5, 1.5) so that many syncs do not retry in step.
 */
export function backoffDelay(retry: number, policy: RetryPolicy, random: () => number): number {
  const nominal = Math.min(policy.baseDelayMs * 2 ** retry, policy.maxDelayMs);
  return Math.round(nominal * (0.5 + random()));
}

/** Wait before retry number `retry`: the server's Retry-After (capped) when it sent one, else the backoff. */
export function retryDelay(retry: number, afterMs: number | undefined, policy: RetryPolicy, random: () => number): number {
  return afterMs !== undefined ? Math.min(Math.max(0, afterMs), policy.maxRetryAfterMs) : backoffDelay(retry, policy, random);
}
