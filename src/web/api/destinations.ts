import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useApi } from '../auth/session';
import type { Destination, DestinationType } from './types';

/** The list route may answer a bare array or `{ items }`; accept both. */
function items<T>(v: T[] | { items: T[] }): T[] {
  return Array.isArray(v) ? v : v.items;
}

export function useDestinations() {
  const api = useApi();
  return useQuery({
    queryKey: ['destinations'],
    queryFn: async ({ signal }) =>
      items(await api.get<Destination[] | { items: Destination[] }>('/v1/destinations', undefined, signal)),
  });
}

export interface DestinationInput {
  name: string;
  type: DestinationType;
  config: Record<string, unknown>;
}

export function useSaveDestination(id?: string) {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: DestinationInput | Partial<DestinationInput>) =>
      id ? api.patch<Destination>(`/v1/destinations/${id}`, body) : api.post<Destination>('/v1/destinations', body),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ['destinations'] });
      void qc.invalidateQueries({ queryKey: ['syncs'] });
    },
  });
}

export function useTestDestination() {
  const api = useApi();
  return useMutation({
    mutationFn: (id: string) => api.post<{ ok: boolean; message: string }>(`/v1/destinations/${id}/test`),
  });
}

export function useDeleteDestination() {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => api.delete(`/v1/destinations/${id}`),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['destinations'] }),
  });
}

export { items as listItems };
