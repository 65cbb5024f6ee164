/**
 * People as the ClickHouse reads see them, over the tables of migration
 * ch-002-people and the contract of people-sql.ts: a person is a uid that was
 * not merged away; its shown user id is its `users` row of the highest
 * version; rows written under a merged-away uid (its "keys") count for the
 * merge target. Any id of a person finds it, as every id of the embedded
 * store's identity map does: its user ids in `users`, the ids in `identities`
 * (anonymous ids, and the earlier id of a renamed person: `users` rows of a
 * lower version are collapsed away by the table engine), and the ids of the
 * people merged into it.
 *
 * Per-person reads (a profile, a page of contacts) look up the keys of a few
 * people here and filter rows by `uid IN (keys)`; whole-table aggregates wrap
 * their source in `personOf`.
 */
import { CLICKHOUSE_MEMBER_SETS } from '../../cohort/dialects/clickhouse';
import { clickhouseNumber, quoteClickHouseString } from '../../cohort/dialects/clickhouse-literals';
import type { ClickHouseClient } from './client';
import { MERGED, PEOPLE } from './people-sql';

/** A list of uids as SQL literals (`0` for none: no person has uid 0, so `IN (0)` matches nothing). */
export function uidList(uids: Iterable<number>): string {
  const list = [...uids].map((u) => clickhouseNumber(u));
  return list.length ? list.join(', ') : '0';
}

/** A list of strings as SQL literals, through the dialect's quoting. */
export function stringList(values: Iterable<string>): string {
  const list = [...values].map(quoteClickHouseString);
  return list.length ? list.join(', ') : "''";
}

/**
 * `source` (a SELECT with a `uid` column and `columns`) with `person`: the uid,
 * or its merge target when it was merged away. A LEFT JOIN on the small merges
 * table; columns stay unqualified, which both 18.16 and the current analyzer read.
 */
export function personOf(source: string, columns: readonly string[]): string {
  const cols = columns.length ? `, ${columns.join(', ')}` : '';
  return `(SELECT if(into_uid = 0, uid, into_uid) AS person${cols} FROM (${source}) AS src
    ANY LEFT JOIN (SELECT from_uid AS uid, into_uid FROM ${MERGED}) AS mrg USING uid)`;
}

/** The stored member sets' (cohort_id, uid) rows matching `where`: the committed sets, as compiled cohort references read them. */
export function membersWhere(where: string): string {
  return `(SELECT cohort_id, uid FROM ${CLICKHOUSE_MEMBER_SETS} WHERE ${where})`;
}

/** The persons these external ids belong to now; unknown ids are left out. */
export async function personsOf(client: ClickHouseClient, externalIds: readonly string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  if (!externalIds.length) return out;
  const ids = stringList(new Set(externalIds));
  const rows = await client.query<{ ext: string; p: string }>(
    `SELECT ext, min(person) AS p FROM ${personOf(
      `SELECT user_id AS ext, uid FROM users WHERE user_id IN (${ids}) UNION ALL SELECT anonymous_id AS ext, uid FROM identities WHERE anonymous_id IN (${ids})`,
      ['ext'],
    )} GROUP BY ext`,
  );
  for (const r of rows) out.set(r.ext, Number(r.p));
  return out;
}

/** Every key (uid rows may be written under) of these persons: each maps to its person. */
export async function keysOf(client: ClickHouseClient, persons: Iterable<number>): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  for (const p of persons) out.set(p, p);
  if (!out.size) return out;
  const rows = await client.query<{ from_uid: string; into_uid: string }>(
    `SELECT from_uid, into_uid FROM ${MERGED} WHERE into_uid IN (${uidList(out.keys())})`,
  );
  for (const r of rows) out.set(Number(r.from_uid), Number(r.into_uid));
  return out;
}

/** The person each of these uids counts for (itself unless merged away). */
export async function personsOfKeys(client: ClickHouseClient, uids: Iterable<number>): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  for (const u of uids) out.set(u, u);
  if (!out.size) return out;
  const rows = await client.query<{ from_uid: string; into_uid: string }>(
    `SELECT from_uid, into_uid FROM ${MERGED} WHERE from_uid IN (${uidList(out.keys())})`,
  );
  for (const r of rows) out.set(Number(r.from_uid), Number(r.into_uid));
  return out;
}

/** The shown user id of each of these persons (persons without a `users` row are left out). */
export async function shownIds(client: ClickHouseClient, persons: Iterable<number>): Promise<Map<number, string>> {
  const list = [...new Set(persons)];
  const out = new Map<number, string>();
  if (!list.length) return out;
  const rows = await client.query<{ uid: string; user_id: string }>(
    `SELECT uid, argMax(user_id, version) AS user_id FROM users WHERE uid IN (${uidList(list)}) GROUP BY uid`,
  );
  for (const r of rows) out.set(Number(r.uid), r.user_id);
  return out;
}

/** `PEOPLE` (uid, user_id of persons not merged away), re-exported for the readers' queries. */
export { PEOPLE };

export interface TraitRow {
  uid: string;
  key: string;
  value: string;
  ts: string;
  seq: string;
}

/**
 * Current traits of persons from the rows of their keys: per (person, key) the
 * row with the greatest (ts, seq); a null value (a cleared trait) is left out.
 * `keys` maps each key to its person (from `keysOf`); `only` limits the trait keys;
 * `clearedAsNull` hands a cleared trait out as null (as the members CSV of the embedded store has it).
 */
export async function currentTraits(
  client: ClickHouseClient,
  keys: Map<number, number>,
  opts: { only?: readonly string[]; clearedAsNull?: boolean } = {},
): Promise<Map<number, Record<string, unknown>>> {
  const onlyKeys = opts.only;
  const out = new Map<number, Record<string, unknown>>();
  if (!keys.size || (onlyKeys && !onlyKeys.length)) return out;
  const keyFilter = onlyKeys ? ` AND key IN (${stringList(onlyKeys)})` : '';
  const rows = await client.query<TraitRow>(
    `SELECT uid, key, value, ts, seq FROM user_traits
      WHERE uid IN (${uidList(keys.keys())})${keyFilter} ORDER BY ts DESC, seq DESC LIMIT 1 BY uid, key`,
  );
  // Latest first across all keys of a person: the first row seen per (person, key) is current.
  rows.sort((a, b) => cmpBig(b.ts, a.ts) || cmpBig(b.seq, a.seq));
  const seen = new Set<string>();
  for (const r of rows) {
    const person = keys.get(Number(r.uid))!;
    const id = `${person}\u0000${r.key}`;
    if (seen.has(id)) continue;
    seen.add(id);
    const v = JSON.parse(r.value) as unknown;
    if (v === null && !opts.clearedAsNull) continue;
    const p = out.get(person) ?? {};
    p[r.key] = v;
    out.set(person, p);
  }
  // Keys sorted, as the embedded store hands them out.
  for (const [person, p] of out) out.set(person, Object.fromEntries(Object.entries(p).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));
  return out;
}

/** Compares two decimal integer strings (Int64 / UInt64 columns read as text). */
export function cmpBig(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
