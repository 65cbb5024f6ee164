import { describe, expect, it } from 'vitest';
import { QueryClient, type InfiniteData } from '@tanstack/react-query';
import { adjustCounts, boardKey, moveInCache, type Board, type Card, type Step } from './workflows';

const steps: Step[] = [
  { id: 'a', name: 'New', position: 0, action: null, cardCount: 2 },
  { id: 'b', name: 'Done', position: 1, action: null, cardCount: 1 },
];
const card = (userId: string, stepId: string): Card => ({ userId, stepId, movedAt: '2026-01-01T00:00:00.000Z', movedBy: null });
const column = (items: Card[]): InfiniteData<Board, string | undefined> =>
  ({ pages: [{ steps, items, nextCursor: null }], pageParams: [undefined] });

describe('board cache moves', () => {
  it('moves a card between cached columns and counts; moving it back undoes only that card', () => {
    const qc = new QueryClient();
    const colA = [...boardKey('c1'), 'a', ''];
    const colB = [...boardKey('c1'), 'b', ''];
    qc.setQueryData(colA, column([card('u1', 'a'), card('u2', 'a')]));
    qc.setQueryData(colB, column([card('u3', 'b')]));
    qc.setQueryData(['cohort', 'c1', 'steps'], steps);

    moveInCache(qc, 'c1', card('u1', 'a'), 'b');
    const users = (k: unknown[]) => qc.getQueryData<InfiniteData<Board>>(k)!.pages[0]!.items.map((c) => `${c.userId}@${c.stepId}`);
    expect(users(colA)).toEqual(['u2@a']);
    expect(users(colB)).toEqual(['u1@b', 'u3@b']);
    expect(qc.getQueryData<Step[]>(['cohort', 'c1', 'steps'])!.map((s) => s.cardCount)).toEqual([1, 2]);

    // Meanwhile u2 moves too; undoing u1's move (the server refused it) keeps u2 where it went.
    moveInCache(qc, 'c1', card('u2', 'a'), 'b');
    moveInCache(qc, 'c1', card('u1', 'b'), 'a');
    expect(users(colA)).toEqual(['u1@a']);
    expect(users(colB)).toEqual(['u2@b', 'u3@b']);
    expect(qc.getQueryData<Step[]>(['cohort', 'c1', 'steps'])!.map((s) => s.cardCount)).toEqual([1, 2]);
  });

  it('leaves counts alone for a move to the same step and never goes below zero', () => {
    expect(adjustCounts(steps, 'a', 'a')).toBe(steps);
    expect(adjustCounts([{ ...steps[0]!, cardCount: 0 }, steps[1]!], 'a', 'b').map((s) => s.cardCount)).toEqual([0, 2]);
  });
});
