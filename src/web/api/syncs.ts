import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useApi } from '../auth/session';
import { listItems } from './destinations';
import type { Frequency, Sync, SyncRun } from './types';

export function useSyncs(filter: { cohortId?: string; destinationId?: string } = {}) {
  const api = useApi();
  return useQuery({
    queryKey: ['syncs', filter],
    queryFn: async ({ signal }) => listItems(await api.get<Sync[] | { items: Sync[] }>('/v1/syncs', filter, signal)),
    refetchInterval: (q) => (q.state.data?.some((s) => s.state === 'running') ? 2000 : false),
  });
}

export function useSync(id: string) {
  const api = useApi();
  return useQuery({
    queryKey: ['syncs', 'one', id],
    queryFn: ({ signal }) => api.get<Sync>(`/v1/syncs/${id}`, undefined, signal),
    refetchInterval: (q) => (q.state.data?.state === 'running' ? 1500 : 10_000),
  });
}

export function useSyncRuns(id: string) {
  const api = useApi();
  return useQuery({
    queryKey: ['syncs', 'one', id, 'runs'],
    queryFn: async ({ signal }) =>
      listItems(await api.get<SyncRun[] | { items: SyncRun[] }>(`/v1/syncs/${id}/runs`, undefined, signal)),
    refetchInterval: (q) => (q.state.data?.some((r) => r.status === 'running') ? 1500 : 10_000),
  });
}

export function useCreateSync() {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: { cohortId: string; destinationId: string; frequency: Frequency; batchSize?: number }) =>
      api.post<Sync>('/v1/syncs', body),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['syncs'] }),
  });
}

export function useUpdateSync() {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ id, ...body }: { id: string; frequency?: Frequency; paused?: boolean; batchSize?: number }) =>
      api.patch<Sync>(`/v1/syncs/${id}`, body),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['syncs'] }),
  });
}

export function useRunSync() {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => api.post<SyncRun>(`/v1/syncs/${id}/run`),
    onSettled: () => void qc.invalidateQueries({ queryKey: ['syncs'] }),
  });
}

export function useDeleteSync() {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => api.delete(`/v1/syncs/${id}`),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['syncs'] }),
  });
}
