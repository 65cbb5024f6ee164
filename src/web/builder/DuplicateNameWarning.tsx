import { Text } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useQuery } from '@tanstack/react-query';
import type { Page, Cohort } from '../api/types';
import { useApi } from '../auth/session';
import { Link } from '../router';

/**
 * Names need not be unique (the API accepts duplicates), but two cohorts with
 * one name are easy to mix up in a list or a destination: say so while typing.
 */
export function DuplicateNameWarning({ name, selfId }: { name: string; selfId?: string }) {
  const api = useApi();
  const [typed] = useDebouncedValue(name.trim(), 400);
  const q = useQuery({
    queryKey: ['cohorts', 'name-check', typed],
    queryFn: ({ signal }) => api.get<Page<Cohort>>('/v1/cohorts', { q: typed, limit: 50 }, signal),
    enabled: typed !== '',
    staleTime: 10_000,
  });
  const same = (q.data?.items ?? []).find((c) => c.id !== selfId && c.name.trim().toLowerCase() === typed.toLowerCase());
  if (!same || typed !== name.trim()) return null;
  return (
    <Text size="sm" c="orange.8" role="status" data-testid="duplicate-name">
      ⚠ Another cohort is already called “{same.name}” (<Link to={`/cohorts/${same.id}`} size="sm">open it</Link>). You can still save, but a different name avoids mix-ups.
    </Text>
  );
}
