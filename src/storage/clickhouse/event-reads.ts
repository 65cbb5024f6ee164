/**
 * The read side of the EventStore port on ClickHouse: event types, the live
 * list, a person's profile and current traits. Every process reads the same
 * tables, so every process gives the same answers. People are resolved as
 * person-keys.ts says (renames, anonymous ids, merges).
 */
import { quoteClickHouseString } from '../../cohort/dialects/clickhouse-literals';
import type { EventStore, EventTypeSummary, StoredEvent, UserSummary } from '../event-store';
import type { ClickHouseClient } from './client';
import { currentTraits, keysOf, membersWhere, personsOf, personsOfKeys, shownIds, uidList } from './person-keys';
import { eventPropertyValues, traitNames, traitValues } from './property-values';

/** The read methods of EventStore (writing, the stream and the layout are the engine's other parts). */
export type EventReads = Pick<
  EventStore,
  'listEventTypes' | 'liveEvents' | 'getUser' | 'eventPropertyValues' | 'traitValues' | 'traitNames' | 'userProperties'
>;

export interface EventRow {
  seq: string;
  uid: string;
  event: string;
  ts: string;
  props: string;
  received_at: string;
}

export const EVENT_COLUMNS = 'seq, uid, event, ts, props, received_at';

const fromMicros = (us: string) => new Date(Number(BigInt(us) / 1000n));

/** Stored events with the shown user id of the person each row counts for (rows of unknown people left out). */
export async function toStoredEvents(client: ClickHouseClient, rows: readonly EventRow[]): Promise<StoredEvent[]> {
  const persons = await personsOfKeys(client, rows.map((r) => Number(r.uid)));
  const names = await shownIds(client, persons.values());
  return rows.flatMap((r) => {
    const userId = names.get(persons.get(Number(r.uid))!);
    if (userId === undefined) return [];
    return [{ seq: Number(r.seq), userId, event: r.event, timestamp: fromMicros(r.ts), properties: JSON.parse(r.props), receivedAt: fromMicros(r.received_at) }];
  });
}

/** Kind codes of flatten.ts as the type names the embedded store reports. */
const KIND_NAME: Record<number, string> = { 1: 'string', 2: 'number', 3: 'boolean', 4: 'object', 5: 'array' };
/** As storage/duckdb/property-paths.ts lists them: leaves up to three levels deep, objects only at the third. */
const MAX_DEPTH = 3;

/**
 * Counts and last times come from one aggregate per event name (the leading
 * sort key: it reads the `event` and `ts` columns only); property names and
 * types from the catalog table of migration ch-020, which a materialized view
 * keeps current on every insert.
 */
async function listEventTypes(client: ClickHouseClient): Promise<EventTypeSummary[]> {
  const [counts, paths] = await Promise.all([
    client.query<{ event: string; n: string; last: string }>('SELECT event, toString(count()) AS n, toString(max(ts)) AS last FROM events GROUP BY event ORDER BY event'),
    client.query<{ event: string; path: string; kind: number }>('SELECT DISTINCT event, path, kind FROM event_property_catalog'),
  ]);
  const byEvent = new Map<string, Set<string>>();
  for (const p of paths) {
    const path = JSON.parse(p.path) as string[];
    const kind = KIND_NAME[Number(p.kind)];
    if (!kind || path.length === 0 || path.length > MAX_DEPTH || (kind === 'object' && path.length < MAX_DEPTH)) continue;
    const set = byEvent.get(p.event) ?? new Set<string>();
    set.add(JSON.stringify([path.join('.'), kind]));
    byEvent.set(p.event, set);
  }
  return counts.map((c) => ({
    name: c.event,
    count: Number(c.n),
    lastSeen: fromMicros(c.last),
    properties: [...(byEvent.get(c.event) ?? [])]
      .map((s) => JSON.parse(s) as [string, string])
      .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
      .map(([name, type]) => ({ name, type })),
  }));
}

/**
 * Newest first: by time received, then seq. The newest `limit` rows are found
 * reading only the filter and order columns; the whole rows are then read from
 * those received at or after the oldest of them (PREWHERE skips the rest).
 */
async function liveEvents(client: ClickHouseClient, f: { limit: number; event?: string; userId?: string }): Promise<StoredEvent[]> {
  const where: string[] = [];
  if (f.event !== undefined) where.push(`event = ${quoteClickHouseString(f.event)}`);
  if (f.userId !== undefined) {
    const person = (await personsOf(client, [f.userId])).get(f.userId);
    if (person === undefined) return [];
    where.push(`uid IN (${uidList((await keysOf(client, [person])).keys())})`);
  }
  const limit = Math.max(0, Math.floor(f.limit));
  if (!limit) return [];
  const cond = where.length ? `WHERE ${where.join(' AND ')}` : '';
  const [oldest] = await client.query<{ r: string; n: string }>(
    // The limit-th newest stamp is the same whatever breaks ties, so seq is not read here.
    `SELECT toString(min(received_at)) AS r, toString(count()) AS n FROM (SELECT received_at FROM events ${cond} ORDER BY received_at DESC LIMIT ${limit})`,
  );
  if (!oldest || oldest.n === '0') return [];
  const rows = await client.query<EventRow>(
    `SELECT ${EVENT_COLUMNS} FROM events PREWHERE received_at >= ${oldest.r} ${cond} ORDER BY received_at DESC, seq DESC LIMIT ${limit}`,
  );
  return toStoredEvents(client, rows);
}

async function getUser(client: ClickHouseClient, userId: string, recent: number): Promise<UserSummary | undefined> {
  const person = (await personsOf(client, [userId])).get(userId);
  if (person === undefined) return undefined;
  const keys = await keysOf(client, [person]);
  const list = uidList(keys.keys());
  const [names, traits, [stats], events, cohorts] = await Promise.all([
    shownIds(client, [person]),
    currentTraits(client, keys),
    client.query<{ first: string | null; last: string | null; n: string }>(
      `SELECT if(count() = 0, NULL, toString(min(ts))) AS first, if(count() = 0, NULL, toString(max(ts))) AS last, toString(count()) AS n FROM events WHERE uid IN (${list})`,
    ),
    client.query<EventRow>(`SELECT ${EVENT_COLUMNS} FROM events WHERE uid IN (${list}) ORDER BY ts DESC, seq DESC LIMIT ${Math.max(0, Math.floor(recent))}`),
    client.query<{ cohort_id: string }>(`SELECT DISTINCT cohort_id FROM ${membersWhere(`uid IN (${list})`)} ORDER BY cohort_id`),
  ]);
  const shown = names.get(person) ?? userId;
  return {
    userId: shown,
    uid: person,
    properties: traits.get(person) ?? {},
    firstSeen: stats.first === null ? null : fromMicros(stats.first),
    lastSeen: stats.last === null ? null : fromMicros(stats.last),
    eventCount: Number(stats.n),
    recentEvents: events.map((r) => ({
      seq: Number(r.seq),
      userId: shown,
      event: r.event,
      timestamp: fromMicros(r.ts),
      properties: JSON.parse(r.props),
      receivedAt: fromMicros(r.received_at),
    })),
    cohortIds: cohorts.map((c) => c.cohort_id),
  };
}

async function userProperties(client: ClickHouseClient, userIds: string[]): Promise<Map<string, Record<string, unknown>>> {
  const persons = await personsOf(client, userIds);
  // One entry per person, under the last id asked for it (as the embedded store answers).
  const idOf = new Map<number, string>();
  for (const u of userIds) {
    const p = persons.get(u);
    if (p !== undefined) idOf.set(p, u);
  }
  const out = new Map<string, Record<string, unknown>>();
  if (!idOf.size) return out;
  const traits = await currentTraits(client, await keysOf(client, idOf.keys()));
  for (const [p, u] of idOf) out.set(u, traits.get(p) ?? {});
  return out;
}

export function createClickHouseEventReads(client: ClickHouseClient): EventReads {
  return {
    listEventTypes: () => listEventTypes(client),
    liveEvents: (f) => liveEvents(client, f),
    getUser: (userId, recent = 20) => getUser(client, userId, recent),
    userProperties: (userIds) => userProperties(client, userIds),
    eventPropertyValues: (q) => eventPropertyValues(client, q),
    traitValues: (q) => traitValues(client, q),
    traitNames: () => traitNames(client),
  };
}
