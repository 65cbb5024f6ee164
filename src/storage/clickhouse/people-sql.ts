/**
 * How ClickHouse reads see people (tables of migration ch-002-people): every adapter
 * reading users by person goes through these, so that the resolution of aliases and
 * renames is written once.
 */

/** The current merge target of each merged-away person key. */
export const MERGED =
  '(SELECT from_uid, argMax(into_uid, version) AS into_uid FROM person_merges GROUP BY from_uid)';

/** People now: (uid, user_id) with the shown user id, merged-away keys left out. */
export const PEOPLE =
  `(SELECT uid, argMax(user_id, version) AS user_id FROM users WHERE uid NOT IN (SELECT from_uid FROM person_merges) GROUP BY uid)`;
