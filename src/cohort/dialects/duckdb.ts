/**
 * DuckDB dialect of the cohort compiler. Property paths and values are bound
 * parameters; only constants of this file go through `quoteString`.
 */
import type { Unit } from '../../schemas/definition';
import { bind, joinSql, Sql, sql, type JsonKind, type SqlDialect } from '../dialect';

/** The numeric rule (same as the reference evaluator's NUMBER_RE): no spaces, no underscores, no inf/nan. */
const NUMBER_PATTERN = '[-+]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][-+]?[0-9]+)?';
/** An Instant held in a property: date, or date-time with Z/offset, up to 9 fraction digits (truncated to µs). */
const INSTANT_PATTERN =
  '[1-9][0-9]{3}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])(T([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\\.[0-9]{1,9})?)?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9]))?';
/** DuckDB's TIMESTAMPTZ cast needs seconds: "…T10:00Z" becomes "…T10:00:00Z". */
const NO_SECONDS_PATTERN = '^([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2})([Z+-])';

/**
 * JSON Pointer (RFC 6901) for a path of keys: "/a/b", with "~" and "/" escaped.
 * Not JSONPath: DuckDB reads `$."*"` as a wildcard, while a pointer takes every
 * key literally. The root is "$".
 */
export function duckdbJsonPath(path: string[]): string {
  if (path.length === 0) return '$';
  return path.map((k) => '/' + k.replace(/~/g, '~0').replace(/\//g, '~1')).join('');
}

/**
 * A pointer indexes arrays by all-digit segments, but a path only reads
 * objects: such a segment must have an object as its parent.
 */
function objectGuards(json: Sql, path: string[]): Sql[] {
  const guards: Sql[] = [];
  path.forEach((seg, i) => {
    if (/^[0-9]+$/.test(seg)) guards.push(sql`json_type(${json}, ${bind(duckdbJsonPath(path.slice(0, i)))}) = 'OBJECT'`);
  });
  return guards;
}

function guarded(json: Sql, path: string[], expr: Sql): Sql {
  const guards = objectGuards(json, path);
  if (guards.length === 0) return expr;
  return sql`(CASE WHEN ${joinSql(guards, ' AND ')} THEN ${expr} END)`;
}

function quoteString(s: string): string {
  if (s.includes('\0')) throw new Error('NUL is not allowed in a SQL string literal');
  return `'${s.replace(/'/g, "''")}'`;
}

const lit = (s: string) => new Sql(quoteString(s));

/** The lambda parameter that binds an extracted JSON value (a name no column has). */
const LET = 'kohort_v';

/**
 * The double a text stands for, NULL unless finite (TRY_CAST yields NaN and
 * ±Infinity for some spellings, which the numeric rule excludes).
 */
const finiteDouble = (text: Sql) => sql`(CASE WHEN isfinite(TRY_CAST(${text} AS DOUBLE)) THEN TRY_CAST(${text} AS DOUBLE) END)`;

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** 'YYYY-MM-DD HH:MM:SS.mmm' in UTC, the form DuckDB casts to TIMESTAMP without a time zone. */
export function duckdbTimestampText(d: Date): string {
  if (Number.isNaN(d.getTime())) throw new Error('invalid date');
  const y = d.getUTCFullYear();
  if (y < 1 || y > 9999) throw new Error(`timestamp out of range: ${d.toISOString()}`);
  return `${pad(y, 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)} ${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}.${pad(d.getUTCMilliseconds(), 3)}`;
}

const INTERVAL_FN: Record<Unit, string> = {
  minute: 'to_minutes',
  hour: 'to_hours',
  day: 'to_days',
  week: 'to_weeks',
  month: 'to_months',
};

const JSON_KIND_TEST: Record<JsonKind, string> = {
  string: "= 'VARCHAR'",
  boolean: "= 'BOOLEAN'",
  number: "IN ('BIGINT', 'UBIGINT', 'DOUBLE', 'HUGEINT', 'INTEGER')",
};

/**
 * What a DuckDB store needs to keep materialized properties (see
 * MaterializedProperty): SQL text with literals only (no parameters), so it can
 * stand in views and DDL. Each expression computes exactly what `jsonText` /
 * `jsonNumber` compute for the same path:
 * - `texts` extracts every path with one parse of the JSON (the list form of
 *   the same `->>` extraction);
 * - `numberFromText` is `jsonNumber` read off the extracted text: `jsonNumber`
 *   casts a non-string's text (its JSON serialization, which for every number
 *   that casts to a finite double is in the numeric rule's language) and sends
 *   a string's content through the rule; so "text in the rule's language, then
 *   a finite cast" is the same function of the text whatever the JSON type.
 * Paths with an all-digit key are not supported (a pointer would also index
 * arrays there; `jsonText` guards that case).
 */
const castOf = (text: string) =>
  `(CASE WHEN ascii(${text}) BETWEEN 48 AND 57 OR ascii(${text}) IN (43, 45, 46) THEN TRY_CAST(${text} AS DOUBLE) END)`;

export const duckdbMaterialized = {
  supports: (path: readonly string[]) => path.length > 0 && path.every((k) => !/^[0-9]+$/.test(k)),
  texts(json: string, paths: readonly (readonly string[])[]): string {
    for (const p of paths) if (!duckdbMaterialized.supports(p)) throw new Error(`path cannot be materialized: ${JSON.stringify(p)}`);
    return `json_extract_string(${json}, [${paths.map((p) => quoteString(duckdbJsonPath([...p]))).join(', ')}])`;
  },
  /**
   * The double a text casts to, skipping the cast (slow on failure) when the
   * first character cannot start the numeric rule ([-+.0-9]): such a text is
   * never a number for `numberFromText` whatever it casts to.
   */
  castOf: (text: string) => castOf(text),
  /** `cast` must be `castOf(text)` (or the plain TRY_CAST), given when a query has it computed once already. */
  numberFromText(text: string, cast = castOf(text)): string {
    // The cast first: on most strings it fails at once and the regex is skipped.
    return `(CASE WHEN isfinite(${cast}) AND regexp_full_match(${text}, ${quoteString(NUMBER_PATTERN)}) THEN ${cast} END)`;
  },
};

export const duckdbDialect: SqlDialect = {
  name: 'duckdb',
  tables: { events: 'events_all', users: 'users', traits: 'user_traits', cohortMembers: 'cohort_members' },
  quoteString,
  timestamp: (d) => sql`CAST(${bind(duckdbTimestampText(d))} AS TIMESTAMP)`,
  addInterval(ts, amount, unit) {
    if (!Number.isInteger(amount)) throw new Error('interval amount must be an integer');
    return sql`(${ts} + ${new Sql(INTERVAL_FN[unit])}(CAST(${bind(amount)} AS INTEGER)))`;
  },
  utcDay: (ts) => sql`CAST(${ts} AS DATE)`,
  // TIMESTAMP holds UTC wall time, so truncation is in UTC; 'week' truncates to the ISO week's Monday.
  calendarPeriodStart: (ts, period) => sql`date_trunc(${lit(period)}, ${ts})`,
  jsonText: (json, path) => guarded(json, path, sql`(${json}->>${bind(duckdbJsonPath(path))})`),
  jsonIs: (json, path, kind) => guarded(json, path, sql`(json_type(${json}, ${bind(duckdbJsonPath(path))}) ${new Sql(JSON_KIND_TEST[kind])})`),
  jsonDistinctKey(json, path) {
    // One extraction bound by a lambda. The extracted JSON text is canonical (DuckDB
    // re-serializes the parsed value), so it identifies strings, booleans, objects and
    // arrays as they are; -0.0 + 0.0 is 0.0, so 0 and -0 are one value; DOUBLE renders
    // shortest round-trip text.
    const j = new Sql(LET);
    const jt = sql`CAST(${j} AS VARCHAR)`;
    const body = sql`CASE WHEN ${j} IS NULL OR ${jt} = 'null' THEN NULL WHEN starts_with(${jt}, '"') THEN 's:' || ${jt} WHEN ${jt} IN ('true', 'false') THEN 'b:' || ${jt} WHEN starts_with(${jt}, '{') OR starts_with(${jt}, '[') THEN 'j:' || ${jt} ELSE 'n:' || CAST(CAST(${jt} AS DOUBLE) + 0.0 AS VARCHAR) END`;
    return guarded(json, path, sql`list_apply([${json}->${bind(duckdbJsonPath(path))}], lambda ${j}: ${body})[1]`);
  },
  distinctKeyOfText(text, fallback) {
    // Only a JSON string has a text that is neither true/false nor starts like a number, an
    // object or an array (-, 0-9, {, [; also +, . to be safe): its key is 't:' and the text, a
    // prefix no JSON key has, so the two kinds of key never meet. Other values parse the JSON.
    const plain = sql`(ascii(${text}) NOT IN (43, 45, 46, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 91, 123) AND ${text} NOT IN ('true', 'false'))`;
    return sql`(CASE WHEN ${text} IS NULL THEN NULL WHEN ${plain} THEN 't:' || ${text} ELSE ${fallback} END)`;
  },
  jsonNumber(json, path) {
    // One extraction, bound once by a lambda over a one-element list (DuckDB does not
    // share repeated subexpressions inside a filter). A JSON number's text is always in
    // the numeric rule's language, so only strings pay for the regex.
    const j = new Sql(LET);
    const jt = sql`CAST(${j} AS VARCHAR)`;
    const s = sql`(${j}->>'$')`;
    const body = sql`CASE WHEN NOT starts_with(${jt}, '"') THEN ${finiteDouble(jt)} WHEN regexp_full_match(${s}, ${lit(NUMBER_PATTERN)}) THEN ${finiteDouble(s)} END`;
    return guarded(json, path, sql`list_apply([${json}->${bind(duckdbJsonPath(path))}], lambda ${j}: ${body})[1]`);
  },
  // A bare date is midnight UTC whatever the session TimeZone; an offset is applied, then the UTC wall time kept.
  instant: (text) =>
    sql`(CASE WHEN NOT regexp_full_match(${text}, ${lit(INSTANT_PATTERN)}) THEN NULL WHEN length(${text}) = 10 THEN TRY_CAST(${text} AS TIMESTAMP) ELSE timezone('UTC', TRY_CAST(regexp_replace(${text}, ${lit(NO_SECONDS_PATTERN)}, ${lit('\\1:00\\2')}) AS TIMESTAMPTZ)) END)`,
  // The current table answers for everyone whose latest row is not after asOf; the history is
  // ranked only for the others (none when asOf is now), so as-of queries stay exact.
  currentTraits: (key, asOf) => duckdbCurrentTraits(key, asOf),
  lower: (text) => sql`lower(${text})`,
  contains: (h, n) => sql`contains(${h}, ${n})`,
  startsWith: (t, p) => sql`starts_with(${t}, ${p})`,
  endsWith: (t, s) => sql`ends_with(${t}, ${s})`,
  regexFind: (t, p) => sql`regexp_matches(${t}, ${p})`,
};

/**
 * The dialect's `currentTraits`, optionally over other tables of the same shape
 * (`current`, `history`: copies of `user_traits_current` / `user_traits` for some
 * people) or for only the people `only` selects (a SELECT of uids), applied
 * inside both parts: filtering the result would still rank every person's history.
 */
export function duckdbCurrentTraits(key: Sql, asOf: Sql, over: { current?: string; history?: string; only?: Sql } = {}): Sql {
  const current = new Sql(over.current ?? 'user_traits_current');
  const history = new Sql(over.history ?? 'user_traits');
  const among = over.only ? sql` AND uid IN (${over.only})` : sql``;
  return sql`(SELECT uid, value, text, num FROM ${current} WHERE key = ${key} AND ts <= ${asOf}${among}
      UNION ALL SELECT uid, value, value->>'$' AS text, ${duckdbDialect.jsonNumber(new Sql('value'), [])} AS num FROM ${history}
       WHERE key = ${key} AND ts <= ${asOf}${among} AND uid IN (SELECT uid FROM ${current} WHERE key = ${key} AND ts > ${asOf})
       QUALIFY row_number() OVER (PARTITION BY uid ORDER BY ts DESC, seq DESC) = 1)`;
}
