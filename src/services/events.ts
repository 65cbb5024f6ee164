import { PREDEFINED_EVENTS } from '../schemas/events.js';
import type { EventStore, StoredEvent } from '../storage/event-store.js';
import type { PropertyValuesQuery } from '../schemas/property-catalog.js';
import { notFound } from './errors.js';

/** Looks up cohort names for ids (provided by the cohort service once it exists). */
export type CohortNames = (ids: string[]) => Promise<{ id: string; name: string }[]>;

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function eventJson(e: StoredEvent) {
  return {
    userId: e.userId,
    event: e.event,
    timestamp: e.timestamp.toISOString(),
    properties: e.properties,
    receivedAt: e.receivedAt.toISOString(),
  };
}

/** Suggestions may be a few seconds old; they are read on every pause in typing. */
const SUGGESTION_TTL_MS = 30_000;
const SUGGESTION_CACHE_MAX = 500;

/** Read side of events and users (api.md, Events and users). */
export function createEventsService(store: EventStore, cohortNames: CohortNames = async () => []) {
  const cache = new Map<string, { at: number; value: Promise<unknown> }>();
  /** Reads through a short-lived cache: the builder asks the same questions as people type. */
  function cached<T>(key: string, read: () => Promise<T>): Promise<T> {
    const hit = cache.get(key);
    if (hit && Date.now() - hit.at < SUGGESTION_TTL_MS) return hit.value as Promise<T>;
    if (cache.size >= SUGGESTION_CACHE_MAX) cache.delete(cache.keys().next().value!);
    const value = read();
    cache.set(key, { at: Date.now(), value });
    value.catch(() => cache.delete(key));
    return value;
  }
  return {
    /** The five predefined events first (even before any is seen), then custom ones by count. */
    async eventTypes() {
      const seen = new Map((await store.listEventTypes()).map((t) => [t.name, t]));
      const predefined = PREDEFINED_EVENTS.map((p) => {
        const t = seen.get(p.name);
        return {
          name: p.name,
          predefined: true,
          description: p.description,
          count: t?.count ?? 0,
          lastSeen: iso(t?.lastSeen ?? null),
          properties: t?.properties ?? [],
        };
      });
      const custom = [...seen.values()]
        .filter((t) => !PREDEFINED_EVENTS.some((p) => p.name === t.name))
        .sort((a, b) => b.count - a.count || a.name.localeCompare(b.name))
        .map((t) => ({ name: t.name, predefined: false, count: t.count, lastSeen: iso(t.lastSeen), properties: t.properties }));
      return [...predefined, ...custom];
    },

    async live(filter: { limit: number; event?: string; userId?: string }) {
      return { items: (await store.liveEvents(filter)).map(eventJson) };
    },

    /** Most frequent values of an event property, or of a trait when no event is given. */
    async propertyValues(q: PropertyValuesQuery) {
      const search = q.q?.trim() || undefined;
      const items = await cached(JSON.stringify(['values', q.event ?? null, q.property, search ?? null, q.limit]), () =>
        q.event
          ? store.eventPropertyValues({ event: q.event, property: q.property, search, limit: q.limit })
          : store.traitValues({ property: q.property, search, limit: q.limit }));
      return { items };
    },

    /** Trait names people have now, with their usual type: the property rule's suggestions. */
    async traits() {
      return { items: await cached('traits', () => store.traitNames()) };
    },

    subscribe: (listener: (events: StoredEvent[]) => void) => store.subscribe(listener),

    async user(userId: string) {
      const u = await store.getUser(userId);
      if (!u) throw notFound('User', userId);
      return {
        userId: u.userId,
        properties: u.properties,
        firstSeen: iso(u.firstSeen),
        lastSeen: iso(u.lastSeen),
        eventCount: u.eventCount,
        recentEvents: u.recentEvents.map(eventJson),
        cohorts: u.cohortIds.length ? await cohortNames(u.cohortIds) : [],
      };
    },
  };
}

export type EventsService = ReturnType<typeof createEventsService>;
