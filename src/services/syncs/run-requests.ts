import type { PrepareOutcome, SendOutcome } from '../../destinations/destination.js';
import type { SyncRun, SyncRunError } from '../../schemas/sync.js';
import { retryDelay } from './retry-policy.js';
import type { Final, RunContext, RunEnv } from './run-context.js';

/** Most errors kept per run, and user ids sampled per error. */
const MAX_ERRORS = 50;
const SAMPLE_SIZE = 10;

/** Runs one request with the retry policy; counts requests and retries on the run. */
export async function withRetry<T extends SendOutcome | PrepareOutcome>(env: RunEnv, ctx: RunContext, attempt: () => Promise<T>): Promise<T | Final> {
  for (let retry = 0; ; retry++) {
    if (ctx.authFailed) return { kind: 'stopped' };
    ctx.run.requests++;
    const out = await attempt();
    if (out.kind === 'ok' && 'noRequest' in out && out.noRequest) ctx.run.requests--;
    if (out.kind !== 'retry') return out;
    if (retry >= env.policy.maxRetries) return { ...out, exhausted: true };
    const delay = retryDelay(retry, out.afterMs, env.policy, env.random);
    ctx.run.retries++;
    env.log.warn('sync request will be retried', { syncId: ctx.sync.id, runId: ctx.run.id, delayMs: delay, status: out.status, message: out.message });
    // Let the run's page show the requests and retries while it waits, not "0 requests".
    await saveProgress(env, ctx);
    // What a user sees while the run waits (the sync's `detail`), e.g. "retrying (1/8): connection refused".
    env.live.set(ctx.sync.id, `retrying (${retry + 1}/${env.policy.maxRetries}): ${out.message.replace(/^network error: /, '')}`);
    try {
      await env.clock.sleep(delay);
    } finally {
      env.live.delete(ctx.sync.id);
    }
  }
}

/**
 * Writes the run's counts. Batches finishing while a write is under way share
 * the next one (which holds all their counts) instead of queueing a write
 * each: with 4 in flight, per-batch writes were half the cost of a full sync.
 */
export function saveProgress(env: RunEnv, ctx: RunContext): Promise<void> {
  if (ctx.saving) {
    ctx.saveAgain = true;
    return ctx.saving;
  }
  const saving = (async () => {
    try {
      do {
        ctx.saveAgain = false;
        await env.store.updateRun(ctx.run);
      } while (ctx.saveAgain);
    } finally {
      ctx.saving = null;
    }
  })();
  ctx.saving = saving;
  return saving;
}

export function recordFailure(env: RunEnv, ctx: RunContext, out: Final | SendOutcome | PrepareOutcome, userIds: string[], what: string): void {
  if (out.kind === 'ok' || out.kind === 'stopped') return;
  ctx.run.failed += userIds.length;
  let message = `${what}: ${out.message}`;
  if (out.kind === 'retry') {
    ctx.exhausted++;
    message += ` (gave up after ${env.policy.maxRetries} retries)`;
  }
  if (out.kind === 'auth_failed') {
    ctx.authFailed = true;
    message += ' — credentials rejected; the sync is paused until the destination is updated';
  }
  addError(ctx.run, {
    at: env.clock.now(),
    status: out.status ?? null,
    message,
    sampleUserIds: userIds.slice(0, SAMPLE_SIZE),
  });
}

export function addError(run: SyncRun, e: SyncRunError): void {
  if (run.errors.length < MAX_ERRORS) run.errors.push(e);
}
