import { describe, expect, it } from 'vitest';
import { planBatchWork } from './batch-work.js';

const ids = (from: number, n: number) => Array.from({ length: n }, (_, i) => `u${String(from + i).padStart(3, '0')}`);

describe('planBatchWork', () => {
  it('cuts adds then removes into batches keyed <run>-<op>-<seq>', () => {
    const { work, stale } = planBatchWork('r2', ids(0, 5), ids(10, 2), 2, []);
    expect(stale).toEqual([]);
    expect(work.map((w) => [w.op, w.ids.length, w.seq, w.last, w.total, w.key, w.resumed])).toEqual([
      ['add', 2, 1, false, 5, 'r2-add-1', false],
      ['add', 2, 2, false, 5, 'r2-add-2', false],
      ['add', 1, 3, true, 5, 'r2-add-3', false],
      ['remove', 2, 1, true, 2, 'r2-remove-1', false],
    ]);
  });

  it('sends an unsettled batch of an earlier run first, unchanged and with its key; the rest around it', () => {
    const lost = { key: 'r1-add-3', op: 'add' as const, userIds: ids(4, 2) };
    const { work, stale } = planBatchWork('r2', ids(0, 8), [], 3, [lost]);
    expect(stale).toEqual([]);
    expect(work[0]).toMatchObject({ ids: lost.userIds, key: 'r1-add-3', resumed: true, seq: 1 });
    expect(work.slice(1).map((w) => w.key)).toEqual(['r2-add-2', 'r2-add-3']);
    expect(work.flatMap((w) => w.ids).sort()).toEqual(ids(0, 8));
  });

  it('drops a record whose users no longer all need sending (or that no longer fits a batch): new batch, new key', () => {
    const gone = { key: 'r1-add-1', op: 'add' as const, userIds: ['u000', 'left'] };
    const wrongOp = { key: 'r1-remove-1', op: 'remove' as const, userIds: ['u001'] };
    const tooBig = { key: 'r1-add-2', op: 'add' as const, userIds: ids(0, 3) };
    const { work, stale } = planBatchWork('r2', ids(0, 3), [], 2, [gone, wrongOp, tooBig]);
    expect(stale.sort()).toEqual(['r1-add-1', 'r1-add-2', 'r1-remove-1']);
    expect(work.every((w) => !w.resumed && w.key.startsWith('r2-'))).toBe(true);
    expect(work.flatMap((w) => w.ids)).toEqual(ids(0, 3));
  });

  it('never sends a user twice when two records overlap', () => {
    const a = { key: 'r1-add-1', op: 'add' as const, userIds: ['u000', 'u001'] };
    const b = { key: 'r1-add-2', op: 'add' as const, userIds: ['u001', 'u002'] };
    const { work, stale } = planBatchWork('r2', ids(0, 3), [], 2, [a, b]);
    expect(stale).toEqual(['r1-add-2']);
    expect(work.flatMap((w) => w.ids).sort()).toEqual(ids(0, 3));
  });
});
