import { createContext, useMemo } from 'react';
import { useDebouncedValue } from '@mantine/hooks';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useEventTypes } from '../api/events';
import { useApi } from '../auth/session';
import { PREDEFINED_EVENTS } from './labels';

export interface EventCatalog {
  /** Autocomplete groups: predefined first, then custom events seen by the server. */
  groups: { group: string; items: string[] }[];
  propertiesOf(event: string): { name: string; type: string }[];
  describe(event: string): string | undefined;
  /** A warning when no event of this name has ever arrived (a typo matches nobody), else undefined. */
  unknownEvent(event: string): string | undefined;
  /** A warning when the event is known but none of its events carried this property. */
  unknownProperty(event: string, property: string): string | undefined;
  loading: boolean;
  error: unknown;
}

/** The builder's catalog, for editors deep in the tree that only need its checks. */
export const CatalogContext = createContext<EventCatalog | null>(null);

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
    const loaded = q.data !== undefined;
    return {
      groups,
      propertiesOf: (event: string) => seen.get(event)?.properties ?? [],
      describe: (event: string) => seen.get(event)?.description ?? PREDEFINED_EVENTS.find((p) => p.name === event)?.description,
      unknownEvent(event: string) {
        if (!loaded || !event.trim() || (seen.get(event)?.count ?? 0) > 0) return undefined;
        const near = [...seen.values()].find((t) => t.count > 0 && t.name.toLowerCase() === event.toLowerCase());
        return near ? `No "${event}" events yet; did you mean "${near.name}"?` : `No "${event}" events have arrived yet: check the spelling`;
      },
      unknownProperty(event: string, property: string) {
        const t = seen.get(event);
        if (!loaded || !property.trim() || !t || t.count === 0) return undefined;
        if (t.properties.some((p) => p.name === property)) return undefined;
        return `No ${event} event has a "${property}" property yet`;
      },
      loading: q.isPending,
      error: q.error,
    };
  }, [q.data, q.isPending, q.error]);
}

/**
 * The most frequent values of an event property (or of a user trait when
 * `event` is null) from the server's catalog; what has been typed narrows
 * them, after a pause in typing so each keystroke does not cost a request.
 */
export function useValueSuggestions(event: string | null, property: string, typed = ''): string[] {
  const api = useApi();
  const [search] = useDebouncedValue(typed.trim(), 300);
  const [prop] = useDebouncedValue(property.trim(), 300);
  const q = useQuery({
    queryKey: ['property-values', event, prop, search],
    queryFn: ({ signal }) =>
      api.get<{ items: { value: string; count: number }[] }>('/v1/properties/values',
        { event: event ?? undefined, property: prop, q: search || undefined, limit: 30 }, signal),
    enabled: (event === null || event !== '') && prop !== '' && !prop.split('.').some((s) => s === ''),
    staleTime: 60_000,
    placeholderData: keepPreviousData,
    retry: false,
  });
  return useMemo(() => [...new Set((q.data?.items ?? []).map((i) => i.value))], [q.data]);
}

/** Trait names people have (for property rules), most common first. */
export function useTraitNames(): { name: string; type: string }[] {
  const api = useApi();
  const q = useQuery({
    queryKey: ['traits'],
    queryFn: ({ signal }) => api.get<{ items: { name: string; type: string; count: number }[] }>('/v1/traits', undefined, signal),
    staleTime: 60_000,
  });
  return q.data?.items ?? [];
}
