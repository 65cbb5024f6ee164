import type { EventTypeSummary, StoredEvent, UserSummary } from '../event-store.js';
import type { ReadPool } from './database.js';
import type { IdentityMap } from './identity-map.js';

interface EventRow {
  seq: bigint;
  user_id: string;
  event: string;
  ts: bigint;
  props: string;
  received: bigint;
}

const EVENT_COLUMNS = `e.seq, u.user_id, e.event, epoch_ms(e.ts) AS ts, e.props::VARCHAR AS props, epoch_ms(e.received_at) AS received`;

function toEvent(r: EventRow): StoredEvent {
  return {
    seq: Number(r.seq),
    userId: r.user_id,
    event: r.event,
    timestamp: new Date(Number(r.ts)),
    properties: JSON.parse(r.props),
    receivedAt: new Date(Number(r.received)),
  };
}

export async function listEventTypes(reads: ReadPool): Promise<EventTypeSummary[]> {
  const [counts, props] = await Promise.all([
    reads.rows<{ event: string; n: bigint; last: bigint }>(
      'SELECT event, count(*) AS n, epoch_ms(max(ts)) AS last FROM events_all GROUP BY event',
    ),
    reads.rows<{ event: string; property: string; type: string }>(
      'SELECT event, property, type FROM event_properties ORDER BY event, property, type',
    ),
  ]);
  const byEvent = new Map<string, { name: string; type: string }[]>();
  for (const p of props) {
    const list = byEvent.get(p.event) ?? [];
    list.push({ name: p.property, type: p.type });
    byEvent.set(p.event, list);
  }
  return counts.map((c) => ({
    name: c.event,
    count: Number(c.n),
    lastSeen: c.last === null ? null : new Date(Number(c.last)),
    properties: byEvent.get(c.event) ?? [],
  }));
}

/**
 * Newest first. The tail holds the newest events, so it is read first and the
 * sorted part only when the tail has fewer than `limit` matches.
 */
export async function liveEvents(
  reads: ReadPool,
  ids: IdentityMap,
  f: { limit: number; event?: string; userId?: string },
): Promise<StoredEvent[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (f.event) {
    where.push('e.event = ?');
    params.push(f.event);
  }
  if (f.userId) {
    const uid = ids.uidOf(f.userId);
    if (uid === undefined) return [];
    where.push('e.uid = ?');
    params.push(uid);
  }
  const cond = where.length ? `WHERE ${where.join(' AND ')}` : '';
  const q = (table: string) =>
    `SELECT ${EVENT_COLUMNS} FROM ${table} e JOIN users u ON u.uid = e.uid ${cond} ORDER BY e.seq DESC LIMIT ?`;
  const fresh = await reads.rows<EventRow>(q('events_tail'), [...params, f.limit]);
  if (fresh.length >= f.limit) return fresh.map(toEvent);
  const older = await reads.rows<EventRow>(q('events_all'), [...params, f.limit]);
  return older.map(toEvent);
}

export async function getUser(reads: ReadPool, ids: IdentityMap, userId: string, recent: number): Promise<UserSummary | undefined> {
  const uid = ids.uidOf(userId);
  if (uid === undefined) return undefined;
  const [traits, stats, events, cohorts] = await Promise.all([
    reads.rows<{ key: string; value: string }>(
      'SELECT key, arg_max(value, (ts, seq))::VARCHAR AS value FROM user_traits WHERE uid = ? GROUP BY key ORDER BY key',
      [uid],
    ),
    reads.rows<{ first: bigint | null; last: bigint | null; n: bigint }>(
      'SELECT epoch_ms(min(ts)) AS first, epoch_ms(max(ts)) AS last, count(*) AS n FROM events_all WHERE uid = ?',
      [uid],
    ),
    reads.rows<EventRow>(`SELECT ${EVENT_COLUMNS} FROM events_all e JOIN users u ON u.uid = e.uid WHERE e.uid = ? ORDER BY e.ts DESC, e.seq DESC LIMIT ?`, [uid, recent]),
    reads.rows<{ cohort_id: string }>('SELECT DISTINCT cohort_id FROM cohort_members WHERE uid = ? ORDER BY cohort_id', [uid]),
  ]);
  const properties: Record<string, unknown> = {};
  for (const t of traits) {
    const v = JSON.parse(t.value);
    if (v !== null) properties[t.key] = v; // a trait set to null was cleared
  }
  const s = stats[0];
  return {
    userId: ids.displayOf(uid) ?? userId,
    uid,
    properties,
    firstSeen: s.first === null ? null : new Date(Number(s.first)),
    lastSeen: s.last === null ? null : new Date(Number(s.last)),
    eventCount: Number(s.n),
    recentEvents: events.map(toEvent),
    cohortIds: cohorts.map((c) => c.cohort_id),
  };
}

export async function userProperties(reads: ReadPool, ids: IdentityMap, userIds: string[]): Promise<Map<string, Record<string, unknown>>> {
  const byUid = new Map<number, string>();
  for (const u of userIds) {
    const uid = ids.uidOf(u);
    if (uid !== undefined) byUid.set(uid, u);
  }
  const out = new Map<string, Record<string, unknown>>();
  for (const u of byUid.values()) out.set(u, {});
  if (!byUid.size) return out;
  const rows = await reads.rows<{ uid: number; key: string; value: string }>(
    `SELECT uid, key, arg_max(value, (ts, seq))::VARCHAR AS value FROM user_traits
      WHERE uid IN (SELECT unnest(string_split(?, ','))::INTEGER) GROUP BY uid, key`,
    [[...byUid.keys()].join(',')],
  );
  for (const r of rows) {
    const v = JSON.parse(r.value);
    if (v !== null) out.get(byUid.get(r.uid)!)![r.key] = v;
  }
  return out;
}
