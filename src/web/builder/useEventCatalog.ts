import { useMemo } from 'react';
import { useQuery } from '@tanstack/react-query';
import { useEventTypes } from '../api/events';
import { useApi } from '../auth/session';
import type { LiveEvent } from '../api/types';
import { PREDEFINED_EVENTS } from './labels';

export interface EventCatalog {
  /** Autocomplete groups: predefined first, then custom events seen by the server. */
  groups: { group: string; items: string[] }[];
  propertiesOf(event: string): { name: string; type: string }[];
  describe(event: string): string | undefined;
  loading: boolean;
  error: unknown;
}

export function useEventCatalog(): EventCatalog {
  const q = useEventTypes();
  return useMemo(() => {
    const types = q.data ?? [];
    const seen = new Map(types.map((t) => [t.name, t]));
    const predefined = PREDEFINED_EVENTS.map((p) => p.name);
    const custom = types
      .filter((t) => !t.predefined && !PREDEFINED_EVENTS.some((p) => p.name === t.name))
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((t) => t.name);
    const groups = [{ group: 'Predefined events', items: predefined }];
    if (custom.length) groups.push({ group: 'Custom events', items: custom });
    return {
      groups,
      propertiesOf: (event: string) => seen.get(event)?.properties ?? [],
      describe: (event: string) => seen.get(event)?.description ?? PREDEFINED_EVENTS.find((p) => p.name === event)?.description,
      loading: q.isPending,
      error: q.error,
    };
  }, [q.data, q.isPending, q.error]);
}

/** Values recently seen for a property of an event, from the live events route. */
export function useValueSuggestions(event: string, property: string): string[] {
  const api = useApi();
  const q = useQuery({
    queryKey: ['events-live', { event, limit: 200 }],
    queryFn: ({ signal }) => api.get<{ items: LiveEvent[] }>('/v1/events/live', { event, limit: 200 }, signal),
    enabled: event !== '' && property !== '',
    staleTime: 60_000,
  });
  return useMemo(() => {
    const values = new Set<string>();
    for (const e of q.data?.items ?? []) {
      const v = readPath(e.properties, property);
      if (v !== undefined && v !== null && typeof v !== 'object') values.add(String(v));
      if (values.size >= 30) break;
    }
    return [...values];
  }, [q.data, property]);
}

function readPath(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (!cur || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}
