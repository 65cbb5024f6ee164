/**
 * ClickHouse dialect of the cohort compiler. Its SQL runs on Debian's 18.16 and
 * on current releases alike, so it uses neither JSON functions (JSONExtract came
 * in 19.x), nor SEMI / ANTI joins, UNION DISTINCT, boolean literals, joins on
 * inequalities or bound parameters (all later than 18.16).
 *
 * Properties are stored flattened (`storage/clickhouse/flatten.ts`): for every
 * object path of a JSON value, parallel arrays hold its key (the path as a JSON
 * array), kind, text, number and distinct key, each computed by the writer with
 * the reference's own rules. So `jsonText(e.props, path)` is an index lookup in
 * `e.props_keys` and a read of `e.props_text`, the same for every version.
 * Compiled queries keep `?` placeholders; `toClickHouseSql` inlines them as
 * literals through the one escaping function (`clickhouse-literals.ts`).
 * Timestamps are Int64 microseconds (`clickhouse-time.ts`).
 */
import { bind, joinSql, Sql, sql, type JsonKind, type PersonScan, type QueryShapes, type SqlDialect } from '../dialect';
import type { CompiledQuery } from '../cohort-compiler';
import { inlineParams, quoteClickHouseString } from './clickhouse-literals';
import { addInterval, calendarPeriodStart, constTs, instantMicros, utcDay } from './clickhouse-time';
// The one place the ClickHouse tables' people are resolved (aliases merging two people), shared with the adapters.
import { PERSON_KEYS, personOf, TRAITS, WITH_MERGES } from '../../storage/clickhouse/people-sql';

/** The codes of `<column>_kind`: what JSON value a path holds. */
export const KIND_CODE = { string: 1, number: 2, boolean: 3, object: 4, array: 5 } as const;

/** The key of a path in `<column>_keys`. */
export const pathKey = (path: readonly string[]) => JSON.stringify(path);

const COLUMN = /^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$/;

/** The array column `<json>_<part>` of a flattened JSON column such as `e.props` or `tr.value`. */
function part(json: Sql, name: 'keys' | 'kind' | 'text' | 'num' | 'dkey'): string {
  if (json.params.length || !COLUMN.test(json.text)) throw new Error(`not a flattened JSON column: ${json.text}`);
  return `${json.text}_${name}`;
}

/**
 * The element of flattened array `values` at the entry whose key (in `keys`) is `key`: the
 * default (0, or NULL) when missing. `kind` is a plain array; the others hold Nullable values,
 * and 18.16 crashes (a NULL read) indexing such an array in a block holding an empty one (an
 * event without properties), so those are read from a copy with NULL put first (never empty,
 * the index always in range). Current releases read both forms alike.
 */
export function flatElement(values: string, keys: string, key: string, nullable: boolean): string {
  return nullable ? `arrayElement(arrayPushFront(${values}, NULL), indexOf(${keys}, ${key}) + 1)` : `${values}[indexOf(${keys}, ${key})]`;
}

/** The value of array `name` at the entry of `path` (0 or NULL when missing). */
const at = (json: Sql, path: string[], name: 'kind' | 'text' | 'num' | 'dkey') => {
  const [values, keys] = [part(json, name), part(json, 'keys')];
  return new Sql(flatElement(values, keys, '?', name !== 'kind'), [pathKey(path)]);
};

/**
 * Characters whose simple lower case has another UTF-8 length (or, like İ, a longer full
 * lower case): lowerUTF8 leaves them alone on 18.16 and maps İ to two characters on current
 * releases, so they are mapped first, as the reference maps them (its first code point).
 */
const LOWER_FIRST: [string, string][] = (
  [
    [0x130, 0x69], [0x23a, 0x2c65], [0x23e, 0x2c66], [0x1e9e, 0xdf], [0x2126, 0x3c9], [0x212a, 0x6b], [0x212b, 0xe5],
    [0x2c62, 0x26b], [0x2c64, 0x27d], [0x2c6d, 0x251], [0x2c6e, 0x271], [0x2c6f, 0x250], [0x2c70, 0x252], [0x2c7e, 0x23f],
    [0x2c7f, 0x240], [0xa78d, 0x265], [0xa7aa, 0x266], [0xa7ab, 0x25c], [0xa7ac, 0x261], [0xa7ad, 0x26c], [0xa7ae, 0x26a],
    [0xa7b0, 0x29e], [0xa7b1, 0x287], [0xa7b2, 0x29d], [0xa7c5, 0x282], [0xa7cb, 0x264], [0xa7dc, 0x19b],
  ] as const
).map(([from, to]) => [String.fromCodePoint(from), String.fromCodePoint(to)]);

function lower(text: Sql): Sql {
  let t = text;
  for (const [from, to] of LOWER_FIRST) t = sql`replaceAll(${t}, ${new Sql(quoteClickHouseString(from))}, ${new Sql(quoteClickHouseString(to))})`;
  return sql`lowerUTF8(${t})`;
}

/**
 * 18.16's `match` looks for a pattern's required substring before running RE2 and ignores
 * `(?i)` while doing so; an alternative that matches nothing (a class of no character) turns
 * that search off without changing what the pattern matches.
 */
const NO_PREFILTER = new Sql(quoteClickHouseString(')|[^\\s\\S]'));

/**
 * Member sets as (cohort_id, uid). A cohort with a head row (`member_set_heads`, written by
 * the membership store) is the committed version of its rows: its latest head, when live.
 * Cohorts without one are read from `cohort_members`, where the latest version of each
 * (cohort, person) row says whether the person is in. (The per-cohort form of the same rule
 * is storage/clickhouse/member-sets-sql.ts.)
 */
export const CLICKHOUSE_MEMBER_SETS =
  '(SELECT cohort_id, uid FROM member_set_rows WHERE (cohort_id, version) IN (SELECT cohort_id, max(version) FROM member_set_heads GROUP BY cohort_id HAVING argMax(live, version) = 1)' +
  ' UNION ALL SELECT cohort_id, uid FROM cohort_members WHERE cohort_id NOT IN (SELECT cohort_id FROM member_set_heads) GROUP BY cohort_id, uid HAVING argMax(present, version) = 1)';

/**
 * Rows count for the person their key was merged into (people-sql.ts), mapped in each scanning
 * SELECT after its WHERE: the filters stay on the table itself (its (event, ts) sort key,
 * PREWHERE), where a resolving subquery as the FROM hid them from 18.16 (a full scan: the
 * brief example 2.6x the best hand-written SQL at 2M events, 1.3x after; bench/RESULTS.md).
 */
const PERSON: PersonScan = { with: new Sql(WITH_MERGES), key: (column) => new Sql(personOf(column.text)) };
const pre = sql`${PERSON.with} `;
const uid = sql`${PERSON.key(new Sql('e.uid'))} AS uid`;

const shapes: QueryShapes = {
  filtered(base, inAll, notIn) {
    if (!inAll.length && !notIn.length) return base;
    const conds = [...inAll.map((q) => sql`uid IN (${q})`), ...notIn.map((q) => sql`uid NOT IN (${q})`)];
    return sql`SELECT uid FROM (${base}) WHERE ${joinSql(conds, ' AND ')}`;
  },
  union(queries) {
    return sql`SELECT DISTINCT uid FROM (${joinSql(queries.map((q) => sql`SELECT uid FROM (${q})`), ' UNION ALL ')})`;
  },
  orFalse: (p) => sql`coalesce(${p}, 0)`,
  // 18.16 has no EXISTS.
  // 18.16's UNION ALL finds no common type for UInt64 and Float64.
  toDouble: (x) => sql`toFloat64(${x})`,
  // 18.16 folds `const IN (set)` to a constant or not depending on the set, and a UNION ALL of
  // explain rows with both forms fails ("non constant in source stream"): always a full column.
  has: (q, uid) => sql`materialize(toUInt64(${uid}) IN (SELECT uid FROM (${q})))`,
  sequence(events, steps, within) {
    // Equi-joins on uid (USING, subqueries aliased: what both 18.16 and the current analyzer
    // accept), the order of steps tested in WHERE.
    const [first, ...rest] = steps;
    const step = (where: Sql) => sql`(${pre}SELECT ${uid}, e.ts AS s_ts FROM ${events} AS e WHERE ${where}) AS s`;
    if (!within) {
      let prev = sql`${pre}SELECT ${uid}, min(e.ts) AS t FROM ${events} AS e WHERE ${first} GROUP BY uid`;
      for (const where of rest) {
        prev = sql`SELECT uid, min(s_ts) AS t FROM ${step(where)} ALL INNER JOIN (SELECT uid, t AS p_t FROM (${prev})) AS p USING uid WHERE s_ts > p_t GROUP BY uid`;
      }
      return sql`SELECT uid FROM (${prev})`;
    }
    let prev = sql`${pre}SELECT DISTINCT ${uid}, e.ts AS t1, e.ts AS t FROM ${events} AS e WHERE ${first}`;
    for (const where of rest) {
      const limit = addInterval(new Sql('p_t1'), within.amount, within.unit);
      prev = sql`SELECT uid, p_t1 AS t1, min(s_ts) AS t FROM ${step(where)} ALL INNER JOIN (SELECT uid, t1 AS p_t1, t AS p_t FROM (${prev})) AS p USING uid WHERE s_ts > p_t AND s_ts <= ${limit} GROUP BY uid, p_t1`;
    }
    return sql`SELECT DISTINCT uid FROM (${prev})`;
  },
};

const TRAIT_VALUE = new Sql('value_keys, value_kind, value_text, value_num, value_dkey, text, num');
/** The rows of trait `key` up to asOf with the person each counts for now (keys resolved in the scan, on the table's sort key). */
const traitRows = (key: Sql, asOf: Sql) =>
  sql`${new Sql(WITH_MERGES)} SELECT ${new Sql(personOf('t.uid'))} AS person, ts, seq, ${TRAIT_VALUE} FROM user_traits AS t WHERE t.key = ${key} AND t.ts <= ${asOf}`;

/**
 * People whose latest row of a trait meets `where`: the rows meeting it, kept when no later row
 * of the person exists, found by the latest (ts, seq) of those people only. Sorting every row of
 * the trait to take each person's latest (currentTraits) cost ~1 s at 1M people on 18.16 and is
 * the same work however few people match; this reads the trait's rows twice (a scan of the sort
 * key's range) and groups only the people with a matching row (a third of the time for `plan eq`,
 * no worse when most match). A NULL latest value meets no `where` and still hides older rows.
 * (ts, seq) is a row's own; the DISTINCT keeps the answer distinct even for a row stored twice.
 */
function currentTraitsWhere(key: Sql, asOf: Sql, where: Sql): Sql {
  const matching = sql`SELECT person, ts, seq FROM (${traitRows(key, asOf)}) AS tr WHERE ${where}`;
  const latest = sql`${new Sql(WITH_MERGES)} SELECT ${new Sql(personOf('t.uid'))} AS person, max((ts, seq)) AS kohort_latest FROM user_traits AS t WHERE t.key = ${key} AND t.ts <= ${asOf} AND person IN (SELECT person FROM (${matching})) GROUP BY person`;
  return sql`SELECT DISTINCT person AS uid FROM (${matching}) WHERE (person, ts, seq) IN (SELECT person, tupleElement(kohort_latest, 1), tupleElement(kohort_latest, 2) FROM (${latest}))`;
}

export const clickhouseDialect: SqlDialect = {
  name: 'clickhouse',
  // Rows count for the person their key was merged into (people-sql.ts): event scans map keys
  // themselves (PERSON), the other tables are read through the resolving sources.
  tables: {
    events: 'events',
    users: PERSON_KEYS,
    traits: TRAITS,
    cohortMembers: CLICKHOUSE_MEMBER_SETS,
  },
  personScan: PERSON,
  shapes,
  quoteString: quoteClickHouseString,
  timestamp: (d) => constTs(d),
  addInterval,
  utcDay,
  calendarPeriodStart,
  jsonText: (json, path) => at(json, path, 'text'),
  jsonIs: (json, path, kind: JsonKind) => sql`(${at(json, path, 'kind')} = ${new Sql(String(KIND_CODE[kind]))})`,
  jsonDistinctKey: (json, path) => at(json, path, 'dkey'),
  // The flattened key is as cheap as the typed column, and the same for every row.
  distinctKeyOfText: (_text, fallback) => fallback,
  jsonNumber: (json, path) => at(json, path, 'num'),
  instant: (text) => instantMicros(text),
  lower,
  contains: (h, n) => sql`(position(${h}, ${n}) > 0)`,
  startsWith: (t, p) => sql`startsWith(${t}, ${p})`,
  endsWith: (t, s) => sql`endsWith(${t}, ${s})`,
  // The latest (ts, seq) row per person with ts <= asOf; a NULL value hides older ones, as in the reference.
  // Keys are resolved to people inside the scan (not through TRAITS) so the key filter stays on the table's sort key.
  currentTraits: (key, asOf) => sql`(SELECT person AS uid, ${TRAIT_VALUE} FROM (${traitRows(key, asOf)}) ORDER BY person, ts DESC, seq DESC LIMIT 1 BY person)`,
  currentTraitsWhere,
  // ClickHouse compiles patterns with dot matching newline; the language's RE2 default (as the
  // reference) does not, so the pattern's group turns it off: `(?-s:`.
  regexFind: (t, p) => sql`match(${t}, concat('(?-s:', ${p}, ${NO_PREFILTER}))`,
};

/** The SQL text to send: placeholders replaced by literals. */
export function toClickHouseSql(q: CompiledQuery): string {
  return inlineParams(q.sql, q.params);
}
