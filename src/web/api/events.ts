import { useQuery } from '@tanstack/react-query';
import { useApi } from '../auth/session';
import type { EventType, LiveEvent, UserProfile } from './types';

export function useEventTypes() {
  const api = useApi();
  return useQuery({
    queryKey: ['event-types'],
    queryFn: ({ signal }) => api.get<EventType[]>('/v1/event-types', undefined, signal),
    staleTime: 60_000,
  });
}

export function useLiveEvents(filter: { event?: string; userId?: string; limit?: number }) {
  const api = useApi();
  return useQuery({
    queryKey: ['events-live', filter],
    queryFn: ({ signal }) =>
      api.get<{ items: LiveEvent[] }>('/v1/events/live', { limit: filter.limit ?? 50, event: filter.event, userId: filter.userId }, signal),
  });
}

export function useUser(userId: string) {
  const api = useApi();
  return useQuery({
    queryKey: ['user', userId],
    queryFn: ({ signal }) => api.get<UserProfile>(`/v1/users/${encodeURIComponent(userId)}`, undefined, signal),
    enabled: userId !== '',
    retry: false,
  });
}
