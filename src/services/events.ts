import { PREDEFINED_EVENTS } from '../schemas/events.js';
import type { EventStore, StoredEvent } from '../storage/event-store.js';
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

/** Read side of events and users (api.md, Events and users). */
export function createEventsService(store: EventStore, cohortNames: CohortNames = async () => []) {
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
