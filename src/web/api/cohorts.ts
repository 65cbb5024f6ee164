import { keepPreviousData, useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useApi } from '../auth/session';
import type { Definition } from './definition';
import type { Cohort, CohortInput, HistoryPoint, Page, Preview } from './types';

export interface CohortListParams {
  q?: string;
  status?: string;
  tag?: string;
  createdFrom?: string;
  createdTo?: string;
  sort?: 'name' | 'createdAt' | 'updatedAt' | 'size';
  order?: 'asc' | 'desc';
  archived?: 'include' | 'exclude';
}

const PAGE_SIZE = 50;

export function useCohorts(params: CohortListParams) {
  const api = useApi();
  return useInfiniteQuery({
    queryKey: ['cohorts', params],
    queryFn: ({ pageParam, signal }) =>
      api.get<Page<Cohort>>('/v1/cohorts', { ...params, limit: PAGE_SIZE, cursor: pageParam }, signal),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    placeholderData: keepPreviousData,
    refetchInterval: (q) =>
      q.state.data?.pages.some((p) => p.items.some((c) => c.calculation.state === 'running')) ? 3000 : false,
  });
}

/** All cohorts (for pickers), first page is enough for reference choices in practice. */
export function useCohortOptions() {
  const api = useApi();
  return useQuery({
    queryKey: ['cohorts', 'options'],
    queryFn: ({ signal }) => api.get<Page<Cohort>>('/v1/cohorts', { sort: 'name', order: 'asc', limit: 200 }, signal),
    staleTime: 30_000,
  });
}

export function useCohort(id: string) {
  const api = useApi();
  return useQuery({
    queryKey: ['cohort', id],
    queryFn: ({ signal }) => api.get<Cohort>(`/v1/cohorts/${id}`, undefined, signal),
    // While a computation runs (or the first one is still to come), follow it.
    refetchInterval: (q) => {
      const c = q.state.data;
      if (!c || q.state.error) return false;
      return c.calculation.state === 'running' || (c.kind === 'dynamic' && !c.computedAt && c.calculation.state !== 'failed') ? 1500 : false;
    },
  });
}

export function useCohortHistory(id: string) {
  const api = useApi();
  return useQuery({
    queryKey: ['cohort', id, 'history'],
    queryFn: ({ signal }) => api.get<HistoryPoint[]>(`/v1/cohorts/${id}/history`, undefined, signal),
  });
}

export function useCohortMembers(id: string, search = '') {
  const api = useApi();
  const q = search.trim() || undefined;
  return useInfiniteQuery({
    queryKey: ['cohort', id, 'members', q ?? ''],
    queryFn: ({ pageParam, signal }) =>
      api.get<Page<string>>(`/v1/cohorts/${id}/members`, { limit: 100, cursor: pageParam, q }, signal),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
}

export function usePreview() {
  const api = useApi();
  return useMutation({
    mutationFn: (body: { definition: Definition; sampleSize?: number }) =>
      api.post<Preview>('/v1/cohorts/preview', body),
  });
}

export function useSaveCohort(id?: string) {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: CohortInput) =>
      id ? api.patch<Cohort>(`/v1/cohorts/${id}`, body) : api.post<Cohort>('/v1/cohorts', body),
    onSuccess: (c) => {
      qc.setQueryData(['cohort', c.id], c);
      void qc.invalidateQueries({ queryKey: ['cohorts'] });
      void qc.invalidateQueries({ queryKey: ['cohort', c.id] });
    },
  });
}

export function useRefreshCohort(id: string) {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: () => api.post<Cohort>(`/v1/cohorts/${id}/refresh`),
    onSuccess: (c) => {
      qc.setQueryData(['cohort', id], c);
      void qc.invalidateQueries({ queryKey: ['cohort', id] });
      void qc.invalidateQueries({ queryKey: ['cohorts'] });
    },
  });
}

export function useDeleteCohort(id: string) {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (force: boolean) => api.delete(`/v1/cohorts/${id}`, force ? { force: true } : undefined),
    onSuccess: () => {
      qc.removeQueries({ queryKey: ['cohort', id] });
      void qc.invalidateQueries({ queryKey: ['cohorts'] });
      void qc.invalidateQueries({ queryKey: ['syncs'] });
    },
  });
}

export interface MembersUploadResult {
  added: number;
  alreadyMember: number;
  invalid: { line: number; message: string }[];
}

/** Static cohorts: adds the user ids of a CSV text (a user_id column, or the first column). */
export function useUploadMembers(id: string) {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (csv: string) =>
      api.request<MembersUploadResult>(`/v1/cohorts/${id}/members`, { method: 'POST', text: { body: csv, contentType: 'text/csv' } }),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ['cohort', id] });
      void qc.invalidateQueries({ queryKey: ['cohorts'] });
    },
  });
}

/** Static cohorts: removes these user ids. */
export function useRemoveMembers(id: string) {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (userIds: string[]) =>
      api.request<{ removed: number }>(`/v1/cohorts/${id}/members`, { method: 'DELETE', body: { userIds } }),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ['cohort', id] });
      void qc.invalidateQueries({ queryKey: ['cohorts'] });
    },
  });
}
