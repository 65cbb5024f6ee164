import type { Batch, BatchDestination } from '../../destinations/destination.js';
import { planBatchWork, type BatchWork } from './batch-work.js';
import type { RunContext, RunEnv } from './run-context.js';
import { recordFailure, saveProgress, withRetry } from './run-requests.js';

/** A snapshot destination (file export): the whole change in one write. */
export async function sendSnapshot(env: RunEnv, ctx: RunContext, toAdd: string[], toRemove: string[], members: string[]): Promise<void> {
  const dest = ctx.destination;
  if (dest.mode !== 'snapshot') return;
  const out = await withRetry(env, ctx, () =>
    dest.writeSnapshot({
      syncId: ctx.sync.id,
      runId: ctx.run.id,
      cohort: ctx.cohort,
      runStartedAt: ctx.run.startedAt,
      full: ctx.run.full,
      added: toAdd,
      removed: toRemove,
      members,
    }),
  );
  if (out.kind === 'ok') {
    ctx.accepted++;
    await env.store.commitBatch(ctx.sync.id, 'add', toAdd);
    await env.store.commitBatch(ctx.sync.id, 'remove', toRemove);
    ctx.run.added += toAdd.length;
    ctx.run.removed += toRemove.length;
  } else {
    recordFailure(env, ctx, out, [...toAdd, ...toRemove], 'writing the export');
  }
  await env.store.updateRun(ctx.run);
}

/**
 * A batch destination: batches of at most the sync's (and the destination's)
 * size, `concurrency` in flight. Each batch is recorded before it is first
 * sent and settled with its commit, so a batch re-sent after a crash carries
 * the key of its first attempt (batch-work.ts).
 */
export async function sendBatches(env: RunEnv, ctx: RunContext, dest: BatchDestination, toAdd: string[], toRemove: string[]): Promise<void> {
  const size = Math.max(1, Math.min(ctx.sync.batchSize, dest.maxBatchSize ?? Infinity));
  const { work, stale } = planBatchWork(ctx.run.id, toAdd, toRemove, size, await env.store.inFlightBatches(ctx.sync.id));
  for (const key of stale) await env.store.endBatch(ctx.sync.id, key);
  let next = 0;
  let fatal: unknown = null;
  const worker = async () => {
    while (!ctx.authFailed && !ctx.leaseLost?.aborted && fatal === null && next < work.length) {
      const w = work[next++];
      try {
        await sendBatch(env, ctx, dest, w, size);
      } catch (err) {
        // E.g. the store failed to commit: stop starting batches, let the others settle.
        fatal ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(env.concurrency, work.length) }, worker));
  if (fatal !== null) throw fatal;
  if (ctx.leaseLost?.aborted) throw new Error('lease lost: another process took this sync over');
}

export async function sendBatch(env: RunEnv, ctx: RunContext, dest: BatchDestination, w: BatchWork, batchSize: number): Promise<void> {
  const { op, ids, seq, key } = w;
  const syncId = ctx.sync.id;
  const props = dest.needsProperties ? await env.membership.userProperties(ids) : new Map<string, Record<string, unknown>>();
  const batch: Batch = {
    op,
    users: ids.map((userId) => ({ userId, properties: props.get(userId) ?? {} })),
    // Stable across retries of this batch and across a crash (recorded first), unique across batches.
    idempotencyKey: key,
    cohort: ctx.cohort,
    syncId,
    runId: ctx.run.id,
    seq,
    last: w.last,
    estimatedTotal: w.total,
    batchSize,
    state: ctx.state,
  };
  if (!w.resumed) await env.store.beginBatch(syncId, { key, op, userIds: ids });
  const out = await withRetry(env, ctx, () => dest.send(batch));
  // Stopped, or retries given up: the receiver may have applied it; the record stays, so the next run re-sends it with this key.
  if (out.kind === 'stopped') return;
  if (out.kind === 'ok') {
    ctx.accepted++;
    const skipped = new Set(out.skippedUserIds ?? []);
    const sent = ids.filter((u) => !skipped.has(u));
    // Skipped adds stay un-acknowledged (tried again once they have the
    // identifier); skipped removes leave the set: there is nothing to send.
    await env.store.commitBatch(syncId, op, op === 'add' ? sent : ids, { endKey: key });
    if (op === 'add') ctx.run.added += sent.length;
    else ctx.run.removed += sent.length;
    ctx.run.skipped += skipped.size;
  } else if (out.kind === 'permanent' && out.failedUserIds) {
    const inBatch = new Set(ids);
    const failed = new Set(out.failedUserIds.filter((u) => inBatch.has(u)));
    const ok = ids.filter((u) => !failed.has(u));
    if (ok.length) ctx.accepted++;
    await env.store.commitBatch(syncId, op, ok, { endKey: key });
    if (op === 'add') ctx.run.added += ok.length;
    else ctx.run.removed += ok.length;
    recordFailure(env, ctx, out, [...failed], `${op} batch ${seq}`);
  } else {
    // Refused for good (or the credentials were): nothing was applied, the record can go.
    if (out.kind !== 'retry') await env.store.endBatch(syncId, key);
    recordFailure(env, ctx, out, ids, `${op} batch ${seq}`);
  }
  await saveProgress(env, ctx);
}
