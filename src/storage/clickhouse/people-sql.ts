/**
 * How ClickHouse reads see people (tables of migration ch-002-people): every adapter
 * reading users by person goes through these, so that the resolution of aliases and
 * renames is written once.
 *
 * Rows keep the person key they were written under; an alias that merges two people
 * (storage/identity-store.ts) only adds `person_merges` rows, flattened by the writer so
 * that every merged-away key names its final person. Reads map keys at query time with
 * `transform` over the merge list (a constant per query, computed once by a scalar `WITH`):
 * no join, so a scan keeps its shape, and with no merges the list holds only the unused
 * key 0 (`transform` refuses empty lists). Written for 18.16 and current releases alike.
 */
import { sql, Sql } from '../../cohort/dialect';
import { HOT_SLOTS } from './migrations';

/** The current merge target of each merged-away person key. */
export const MERGED =
  '(SELECT from_uid, argMax(into_uid, version) AS into_uid FROM person_merges GROUP BY from_uid)';

/** People now: (uid, user_id) with the shown user id, merged-away keys left out. */
export const PEOPLE =
  `(SELECT uid, argMax(user_id, version) AS user_id FROM users WHERE uid NOT IN (SELECT from_uid FROM person_merges) GROUP BY uid)`;

/**
 * PEOPLE restricted to the keys `uids` selects (a subquery of `uid`): the key filter sits
 * inside the GROUP BY, on the table's sort key. (18.16 does not push an outer
 * `WHERE uid IN …` into PEOPLE: it grouped every user, ~0.2 s at 1M people, to name 20.)
 */
export function peopleIn(uids: Sql): Sql {
  return sql`(SELECT uid, argMax(user_id, version) AS user_id FROM users WHERE uid IN (${uids}) AND uid NOT IN (SELECT from_uid FROM person_merges) GROUP BY uid)`;
}

/**
 * Person keys now (merged-away keys left out). `users` is a ReplacingMergeTree sorted by uid, so
 * FINAL gives each key once by merging the sorted parts as it reads, where DISTINCT hashed every
 * key (the universe of a complement such as count lt 3: 0.25 s instead of 0.64 s at 1M people).
 */
export const PERSON_KEYS = '(SELECT uid FROM users FINAL WHERE uid NOT IN (SELECT from_uid FROM person_merges))';

/** `WITH` clause binding `kohort_merges` = (from keys, into keys): put it first in a SELECT that uses personOf. */
export const WITH_MERGES =
  `WITH (SELECT (arrayConcat([toUInt64(0)], groupArray(from_uid)), arrayConcat([toUInt64(0)], groupArray(into_uid))) FROM ${MERGED}) AS kohort_merges`;

/** The person a stored key (column `column`, e.g. `e.uid`) counts for now; needs WITH_MERGES in its SELECT. */
export function personOf(column: string): string {
  if (!/^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$/.test(column)) throw new Error(`not a column: ${column}`);
  return `transform(${column}, tupleElement(kohort_merges, 1), tupleElement(kohort_merges, 2), ${column})`;
}

const flat = (prefix: string) => ['keys', 'kind', 'text', 'num', 'dkey'].map((p) => `${prefix}_${p}`).join(', ');
const hot = Array.from({ length: HOT_SLOTS }, (_, i) => `hot${i + 1}_text, hot${i + 1}_num`).join(', ');

/** `user_traits` with `uid` the person each row counts for now (every column of the table). */
export const TRAITS =
  `(${WITH_MERGES} SELECT ${personOf('t.uid')} AS uid, key, ts, seq, value, ${flat('value')}, text, num FROM user_traits AS t)`;
