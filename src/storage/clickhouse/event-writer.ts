/**
 * Appends events, traits, people and member sets to the ClickHouse tables in
 * batches (events as TabSeparated text, the rest as JSONEachRow), computing the
 * flattened and hot property columns the compiler reads. Identity (user id -> uid) is the caller's: this writer takes
 * uids. Deduplication of re-sent events across processes is not done here yet.
 */
import type { MaterializedProperty } from '../../cohort/dialect';
import { quoteClickHouseString } from '../../cohort/dialects/clickhouse-literals';
import { MAX_EVENT_MS, MIN_EVENT_MS } from '../../cohort/dialects/clickhouse-time';
import type { ClickHouseClient } from './client';
import { eventColumns, eventRowsTsv } from './event-rows';
import { flatColumns, flattenJson, numberOfValue, textOf } from './flatten';
import { HOT_SLOTS } from './migrations';

export interface ChEvent {
  seq: number;
  uid: number;
  event: string;
  ts: Date;
  props: Record<string, unknown>;
  messageId: string;
  receivedAt?: Date;
}

export interface ChTrait {
  seq: number;
  uid: number;
  key: string;
  value: unknown;
  ts: Date;
}

const BATCH = 5000;

function micros(d: Date): number {
  const ms = d.getTime();
  if (!(ms >= MIN_EVENT_MS && ms <= MAX_EVENT_MS)) throw new Error(`timestamp outside 1970-2106, which ClickHouse 18.16 cannot hold: ${d.toISOString()}`);
  return ms * 1000;
}

async function inBatches(client: ClickHouseClient, table: string, rows: Record<string, unknown>[]): Promise<void> {
  for (let i = 0; i < rows.length; i += BATCH) await client.insert(table, rows.slice(i, i + BATCH));
}

export class ClickHouseEventWriter {
  private constructor(
    private readonly client: ClickHouseClient,
    private readonly hot: readonly { slot: number; path: string[] }[],
  ) {}

  /** Hot paths are read from `hot_properties`; `hot` (tests, a fresh store) records them first. */
  static async open(client: ClickHouseClient, hot?: string[][]): Promise<ClickHouseEventWriter> {
    if (hot) {
      if (hot.length > HOT_SLOTS) throw new Error(`at most ${HOT_SLOTS} hot properties`);
      const version = Date.now();
      await client.insert('hot_properties', hot.map((path, i) => ({ slot: i + 1, path: JSON.stringify(path), version })));
    }
    const rows = await client.query<{ slot: number; path: string }>('SELECT slot, argMax(path, version) AS path FROM hot_properties GROUP BY slot ORDER BY slot');
    return new ClickHouseEventWriter(client, rows.map((r) => ({ slot: Number(r.slot), path: JSON.parse(r.path) as string[] })));
  }

  /** The hot columns, for the compiler (CompileContext.materialized). */
  materialized(): MaterializedProperty[] {
    return this.hot.map((h) => ({ path: h.path, text: `hot${h.slot}_text`, number: `hot${h.slot}_num` }));
  }

  /** In TabSeparated text built in one pass (event-rows.ts): the ingestion path's cost per event. */
  async events(events: readonly ChEvent[]): Promise<void> {
    const columns = eventColumns(this.hot.map((h) => h.slot));
    // Every time is checked before anything is sent.
    for (const e of events) {
      micros(e.ts);
      if (e.receivedAt) micros(e.receivedAt);
    }
    for (let i = 0; i < events.length; i += BATCH) {
      await this.client.insertTsv('events', columns, eventRowsTsv(events, i, Math.min(events.length, i + BATCH), this.hot));
    }
  }

  async traits(traits: readonly ChTrait[]): Promise<void> {
    const rows = traits.map((t) => ({
      uid: t.uid,
      key: t.key,
      ts: micros(t.ts),
      seq: t.seq,
      value: JSON.stringify(t.value ?? null),
      ...flatColumns('value', flattenJson(t.value, true)),
      text: textOf(t.value),
      num: numberOfValue(t.value),
    }));
    await inBatches(this.client, 'user_traits', rows);
  }

  async users(users: readonly { uid: number; userId: string; createdAt?: Date }[]): Promise<void> {
    await inBatches(
      this.client,
      'users',
      users.map((u) => ({ uid: u.uid, user_id: u.userId, created_at: u.createdAt ? u.createdAt.getTime() * 1000 : 0 })),
    );
  }

  /** Ids a person is known by besides the shown user id (anonymous ids, aliases); `ts` in ms (0: unknown). */
  async identities(rows: readonly { anonymousId: string; uid: number; ts?: number }[]): Promise<void> {
    await inBatches(this.client, 'identities', rows.map((r) => ({ anonymous_id: r.anonymousId, uid: r.uid, ts: (r.ts ?? 0) * 1000 })));
  }

  /** Alias merges, each `from` already mapped to its final person (chains flattened by the caller). */
  async personMerges(rows: readonly { fromUid: number; intoUid: number; version: number }[]): Promise<void> {
    await inBatches(this.client, 'person_merges', rows.map((r) => ({ from_uid: r.fromUid, into_uid: r.intoUid, version: r.version })));
  }

  /** Adds people to a cohort's member set (a static cohort's upload). */
  async addMembers(cohortId: string, uids: readonly number[], version = Date.now()): Promise<void> {
    await inBatches(this.client, 'cohort_members', uids.map((uid) => ({ cohort_id: cohortId, uid, version, present: 1 })));
  }

  /**
   * Replaces a cohort's member set: the listed people in, everyone else recorded before out,
   * all under a version above every earlier one (the latest version of a row wins).
   */
  async replaceMembers(cohortId: string, uids: readonly number[], version?: number): Promise<void> {
    const id = quoteClickHouseString(cohortId);
    const [last] = await this.client.query<{ v: string }>(`SELECT toString(max(version)) AS v FROM cohort_members WHERE cohort_id = ${id}`);
    const next = Math.max(version ?? Date.now(), Number(last?.v ?? 0) + 1);
    const before = await this.client.query<{ uid: string }>(
      `SELECT uid FROM cohort_members WHERE cohort_id = ${id} GROUP BY uid HAVING argMax(present, version) = 1`,
    );
    const keep = new Set(uids);
    const rows = [
      ...uids.map((uid) => ({ cohort_id: cohortId, uid, version: next, present: 1 })),
      ...before.filter((r) => !keep.has(Number(r.uid))).map((r) => ({ cohort_id: cohortId, uid: Number(r.uid), version: next, present: 0 })),
    ];
    await inBatches(this.client, 'cohort_members', rows);
  }
}
