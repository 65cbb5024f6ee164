import type { BatchDestination } from '../../destinations/destination.js';
import type { BatchWork } from './batch-work.js';
import { sendBatch } from './batch-sender.js';
import type { PlanStep } from './plan-stream.js';
import type { RunContext, RunEnv } from './run-context.js';

/**
 * A batch destination fed by the streamed plan (plan-stream.ts): a batch is
 * cut as soon as the merge has found one more user of its op than a batch
 * holds (so whether it is the last is known), and sent while the merge goes
 * on; `concurrency` in flight, each recorded before it is sent and settled
 * with its commit (batch-sender.ts), so crash-safety is the batch sender's.
 * Only for runs with no batch left in flight by an earlier run (those need
 * the whole plan first: batch-work.ts). Adds and removes are sent as they are
 * found (each op numbered on its own, as before). `estimatedTotal` is the
 * number of users of the op found when the batch was cut (exact in the last
 * batch of the op, a lower bound before).
 */
export async function sendStreamed(env: RunEnv, ctx: RunContext, dest: BatchDestination, steps: AsyncIterable<PlanStep>): Promise<void> {
  const size = Math.max(1, Math.min(ctx.sync.batchSize, dest.maxBatchSize ?? Infinity));
  const pending = { add: [] as string[], remove: [] as string[] };
  const found = { add: 0, remove: 0 };
  const seq = { add: 0, remove: 0 };
  const queue: BatchWork[] = [];
  let planned = false;
  let fatal: unknown = null;
  let wake: (() => void) | null = null;
  const notify = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  const stopped = () => ctx.authFailed || ctx.leaseLost?.aborted || fatal !== null;

  const cut = (op: 'add' | 'remove', last: boolean) => {
    const ids = pending[op].splice(0, size);
    const n = ++seq[op];
    queue.push({ op, ids, seq: n, last, total: found[op], key: `${ctx.run.id}-${op}-${n}`, resumed: false });
  };

  const plan = (async () => {
    try {
      for await (const step of steps) {
        for (const op of ['add', 'remove'] as const) {
          const ids = step[op];
          if (!ids.length) continue;
          for (const u of ids) pending[op].push(u);
          found[op] += ids.length;
          while (pending[op].length > size) cut(op, false);
        }
        notify();
        if (stopped()) break; // closes the inputs (planSyncPages)
      }
      if (!stopped()) for (const op of ['add', 'remove'] as const) if (pending[op].length) cut(op, true);
    } catch (err) {
      fatal ??= err;
    } finally {
      planned = true;
      notify();
    }
  })();

  // Workers wait on one shared wake-up; each re-checks the queue when woken.
  const waiters: (() => void)[] = [];
  const nextWork = async (): Promise<BatchWork | null> => {
    for (;;) {
      if (stopped()) return null;
      const w = queue.shift();
      if (w) return w;
      if (planned) return null;
      await new Promise<void>((resolve) => {
        waiters.push(resolve);
        wake ??= () => {
          for (const r of waiters.splice(0)) r();
        };
      });
    }
  };
  const worker = async () => {
    for (let w = await nextWork(); w; w = await nextWork()) {
      try {
        await sendBatch(env, ctx, dest, w, size);
      } catch (err) {
        // E.g. the store failed to commit: stop starting batches, let the others settle.
        fatal ??= err;
      }
      notify(); // the batch may have stopped the run (credentials refused): waiting workers look again
    }
  };
  await Promise.all([plan, ...Array.from({ length: env.concurrency }, worker)]);
  if (fatal !== null) throw fatal;
  if (ctx.leaseLost?.aborted) throw new Error('lease lost: another process took this sync over');
}
