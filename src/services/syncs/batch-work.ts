import type { InFlightBatch } from '../../storage/sync-store.js';

/** One batch a run will send. */
export interface BatchWork {
  op: 'add' | 'remove';
  ids: string[];
  /** 1-based position among this run's batches of `op`. */
  seq: number;
  last: boolean;
  /** How many users of `op` the run sends in all. */
  total: number;
  /** The idempotency key (and `webhook-id`): recorded before the batch is first sent. */
  key: string;
  /** Sent before by a run that stopped without its outcome: its record exists, its key is kept. */
  resumed: boolean;
}

/**
 * Cuts a run's adds and removes into batches. Batches a previous run began
 * and never settled (a crash, a lost lease, retries given up) come first,
 * unchanged, with their recorded key, so the receiver can drop what it
 * already applied; that holds while every user of the batch still needs
 * it. The others are `stale` (their users, if still needed, go in new batches
 * with new keys). New keys are `<run id>-<op>-<seq>`: unique across runs.
 */
export function planBatchWork(
  runId: string,
  toAdd: string[],
  toRemove: string[],
  size: number,
  inFlight: InFlightBatch[],
): { work: BatchWork[]; stale: string[] } {
  const work: BatchWork[] = [];
  const stale: string[] = [];
  for (const [op, ids] of [['add', toAdd], ['remove', toRemove]] as const) {
    const wanted = new Set(ids);
    const taken = new Set<string>();
    const chunks: { ids: string[]; key: string | null }[] = [];
    for (const b of inFlight) {
      if (b.op !== op) continue;
      const intact = b.userIds.length > 0 && b.userIds.length <= size && b.userIds.every((u) => wanted.has(u) && !taken.has(u));
      if (!intact) {
        stale.push(b.key);
        continue;
      }
      for (const u of b.userIds) taken.add(u);
      chunks.push({ ids: b.userIds, key: b.key });
    }
    const rest = taken.size ? ids.filter((u) => !taken.has(u)) : ids;
    for (let i = 0; i < rest.length; i += size) chunks.push({ ids: rest.slice(i, i + size), key: null });
    chunks.forEach((c, i) =>
      work.push({ op, ids: c.ids, seq: i + 1, last: i === chunks.length - 1, total: ids.length, key: c.key ?? `${runId}-${op}-${i + 1}`, resumed: c.key !== null }),
    );
  }
  return { work, stale };
}
