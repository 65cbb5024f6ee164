import { useInfiniteQuery, useMutation, useQuery, useQueryClient, type InfiniteData, type QueryClient } from '@tanstack/react-query';
import { useApi } from '../auth/session';
import type { Page } from './types';

import type { ActionExecution, Card, Step } from '../../schemas/workflow';

// Type-only: the shared schemas define the JSON the workflow routes answer with (docs/TEAMS.md).
export type { Action, ActionExecution, ActionInput, ActionType, Card, ExecutionStatus, Step, StepInput } from '../../schemas/workflow';
import type { StepInput } from '../../schemas/workflow';

export interface Board extends Page<Card> {
  steps: Step[];
}

const list = <T,>(v: T[] | { items: T[] }): T[] => (Array.isArray(v) ? v : v.items);
const COLUMN_PAGE = 50;
const BOARD_REFRESH_MS = 15_000;

export const boardKey = (cohortId: string) => ['cohort', cohortId, 'board'] as const;
const columnKey = (cohortId: string, stepId: string, q: string) => [...boardKey(cohortId), stepId, q] as const;

export function useSteps(cohortId: string) {
  const api = useApi();
  return useQuery({
    queryKey: ['cohort', cohortId, 'steps'],
    queryFn: async ({ signal }) => list(await api.get<Step[] | { items: Step[] }>(`/v1/cohorts/${cohortId}/steps`, undefined, signal)),
    // Members come and go and collaborators move cards: counts follow without a reload.
    refetchInterval: BOARD_REFRESH_MS,
  });
}

export function useSaveSteps(cohortId: string) {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async (steps: StepInput[]) =>
      list(await api.request<Step[] | { items: Step[] }>(`/v1/cohorts/${cohortId}/steps`, { method: 'PUT', body: { steps } })),
    onSuccess: (steps) => {
      qc.setQueryData(['cohort', cohortId, 'steps'], steps);
      void qc.invalidateQueries({ queryKey: boardKey(cohortId) });
      void qc.invalidateQueries({ queryKey: ['cohort', cohortId] });
      void qc.invalidateQueries({ queryKey: ['cohorts'] });
    },
  });
}

/** One column of the board, paged on its own so a crowded step does not crowd out the others. */
export function useBoardColumn(cohortId: string, stepId: string, q: string) {
  const api = useApi();
  return useInfiniteQuery({
    queryKey: columnKey(cohortId, stepId, q),
    queryFn: ({ pageParam, signal }) =>
      api.get<Board>(`/v1/cohorts/${cohortId}/board`, { stepId, q: q || undefined, limit: COLUMN_PAGE, cursor: pageParam }, signal),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    refetchInterval: BOARD_REFRESH_MS,
  });
}

type ColumnData = InfiniteData<Board, string | undefined>;

/**
 * Moves a card in every cached column of the board: out of the one holding it,
 * to the top of the target (the newest move first), counts adjusted. Moving it
 * back the same way undoes just this card, whatever else moved meanwhile.
 */
export function moveInCache(qc: QueryClient, cohortId: string, card: Card, toStepId: string): void {
  const moved: Card = { ...card, stepId: toStepId, movedAt: new Date().toISOString() };
  for (const [key, data] of qc.getQueriesData<ColumnData>({ queryKey: boardKey(cohortId) })) {
    if (!data) continue;
    const stepId = key[3];
    qc.setQueryData<ColumnData>(key, moveCardInColumn(data, stepId as string, card, moved));
  }
  qc.setQueryData<Step[]>(['cohort', cohortId, 'steps'], (steps) => steps && adjustCounts(steps, card.stepId, toStepId));
}

export function moveCardInColumn(data: ColumnData, stepId: string, card: Card, moved: Card): ColumnData {
  const pages = data.pages.map((p, i) => {
    let items = p.items.filter((c) => c.userId !== card.userId);
    if (i === 0 && stepId === moved.stepId) items = [moved, ...items];
    return { ...p, items, steps: adjustCounts(p.steps, card.stepId, moved.stepId) };
  });
  return { ...data, pages };
}

export function adjustCounts(steps: Step[], from: string, to: string): Step[] {
  if (from === to) return steps;
  return steps.map((s) =>
    s.id === from ? { ...s, cardCount: Math.max(0, s.cardCount - 1) } : s.id === to ? { ...s, cardCount: s.cardCount + 1 } : s);
}

/** Moves a card: shown at once, undone if the server refuses. */
export function useMoveCard(cohortId: string) {
  const api = useApi();
  const qc = useQueryClient();
  const mutationKey = ['moveCard', cohortId];
  return useMutation({
    mutationKey,
    mutationFn: ({ card, stepId }: { card: Card; stepId: string }) =>
      api.post<Card>(`/v1/cohorts/${cohortId}/cards/${encodeURIComponent(card.userId)}/move`, { stepId }),
    onMutate: async ({ card, stepId }) => {
      // A refetch landing after the optimistic change would put the card back for a moment.
      await qc.cancelQueries({ queryKey: boardKey(cohortId) });
      await qc.cancelQueries({ queryKey: ['cohort', cohortId, 'steps'] });
      moveInCache(qc, cohortId, card, stepId);
    },
    onError: (_err, { card, stepId }) => {
      // Only this card goes back: a snapshot would also undo moves made meanwhile.
      moveInCache(qc, cohortId, { ...card, stepId }, card.stepId);
    },
    onSettled: () => {
      // While other moves are in flight a refetch would show their cards in the old place.
      if (qc.isMutating({ mutationKey }) > 1) return;
      void qc.invalidateQueries({ queryKey: boardKey(cohortId) });
      void qc.invalidateQueries({ queryKey: ['cohort', cohortId, 'steps'] });
      void qc.invalidateQueries({ queryKey: ['cohort', cohortId, 'actions'] });
      // Step counts also ride on the cohort JSON and the cohort list.
      void qc.invalidateQueries({ queryKey: ['cohort', cohortId], exact: true });
      void qc.invalidateQueries({ queryKey: ['cohorts'] });
    },
  });
}

const busy = (e: ActionExecution) => e.status === 'pending' || e.status === 'running';

export function useActionLog(cohortId: string, filter: { userId?: string; stepId?: string } = {}) {
  const api = useApi();
  return useInfiniteQuery({
    queryKey: ['cohort', cohortId, 'actions', filter],
    queryFn: ({ pageParam, signal }) =>
      api.get<Page<ActionExecution>>(`/v1/cohorts/${cohortId}/actions`, { ...filter, limit: 50, cursor: pageParam }, signal),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    // Follow executions still under way; a finished log stays put.
    refetchInterval: (q) => (q.state.data?.pages.some((p) => p.items.some(busy)) ? 2000 : false),
  });
}
