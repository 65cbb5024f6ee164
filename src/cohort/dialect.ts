/**
 * SQL fragments and the dialect interface: everything engine-specific the
 * cohort compiler needs. A fragment carries its own bound parameters, so
 * composing fragments keeps `?` placeholders and params in the same order.
 */
import type { Duration, Unit } from '../schemas/definition';

export type SqlParam = string | number | boolean;

export class Sql {
  constructor(
    readonly text: string,
    readonly params: readonly SqlParam[] = [],
  ) {}
}

/** Template tag: interpolations must be Sql fragments (never raw values). */
export function sql(strings: TemplateStringsArray, ...parts: Sql[]): Sql {
  let text = strings[0];
  const params: SqlParam[] = [];
  parts.forEach((p, i) => {
    text += p.text + strings[i + 1];
    params.push(...p.params);
  });
  return new Sql(text, params);
}

/** A bound parameter. */
export const bind = (value: SqlParam): Sql => new Sql('?', [value]);

export function joinSql(parts: Sql[], separator: string): Sql {
  return new Sql(
    parts.map((p) => p.text).join(separator),
    parts.flatMap((p) => p.params),
  );
}

export interface SqlTables {
  /** The events table itself (scans filter it directly, so an engine can use its sort key); see PersonScan. */
  events: string;
  users: string;
  traits: string;
  cohortMembers: string;
}

export type JsonKind = 'string' | 'number' | 'boolean';

/**
 * A property path of events that the store keeps in typed columns beside the
 * JSON properties (engine-neutral: only column names). Each column holds
 * exactly what the dialect's JSON expression computes for the path, so reading
 * the column instead can never change a result; it only skips parsing JSON.
 */
export interface MaterializedProperty {
  path: readonly string[];
  /** Column of the events table holding `jsonText(props, path)`. */
  text: string;
  /** Column of the events table holding `jsonNumber(props, path)`. */
  number: string;
}

/**
 * Per-(event, person) summaries a store keeps beside the events, covering every event with
 * `seq <= seq` (engine-neutral: only table and column names). A compiled rule reads a summary
 * row only for people it is still exact for: people with a row of the event after `seq`, people
 * of a person merge after `seq`, and people with a summarized row later than asOf are read from
 * the events instead. So a stale summary is slower, never wrong; and one rebuilt later (a greater
 * seq) is still exact for a query compiled with an earlier `seq` (the people it adds were read
 * from the events anyway).
 */
export interface EventRollup {
  seq: number;
  /** One row per (event, uid): `n` (rows), `max_ts`, and the columns of `numbers`. */
  table: string;
  /** Numeric properties with their sum, count (non-NULL), min and max columns in `table`. */
  numbers: readonly { path: readonly string[]; sum: string; count: string; min: string; max: string }[];
  /** One row per (event, slot, uid, key) with the `max_ts` of those rows: distinct keys of an event property. */
  keysTable: string;
  /** Properties with distinct keys in `keysTable` (the dialect's distinct key), by slot. */
  keys: readonly { path: readonly string[]; slot: number }[];
  /** Person merges: `seq, from_uid, into_uid`. */
  merges: string;
}

/**
 * Query shapes an engine writes its own way. The compiler's own shapes (DuckDB's: SEMI / ANTI
 * JOIN, UNION, `false`, joins on inequalities) stand where a dialect has none; ClickHouse 18.16
 * has none of those constructs, so its dialect gives every shape here.
 */
export interface QueryShapes {
  /** A SELECT of the uids of `base` (a SELECT of `uid`) that are in every `inAll` and in no `notIn` (SELECTs of `uid`, repeats allowed). */
  filtered(base: Sql, inAll: Sql[], notIn: Sql[]): Sql;
  /** A SELECT of the distinct uids of any of `queries` (SELECTs of distinct `uid`). */
  union(queries: Sql[]): Sql;
  /** `p`, with NULL read as false. */
  orFalse(p: Sql): Sql;
  /**
   * A SELECT of the distinct uids with a sequence of steps: `steps[0]` holds the conditions on the
   * events row `e` of step 1 (window included), each later entry those of its step; each step
   * strictly after the previous one (the earliest such), all within `within` of step 1 when given.
   */
  sequence(events: Sql, steps: Sql[], within: Duration | undefined): Sql;
  /** Whether `uid` is among the uids of `query` (a SELECT of `uid`): 1 or 0 (explain; the compiler's own is EXISTS). */
  has?(query: Sql, uid: Sql): Sql;
  /** `x` as a double (explain reads integer and fractional aggregates in one column; the compiler's own: x as is). */
  toDouble?(x: Sql): Sql;
}

/**
 * How a scan of the events table names each row's person, for engines whose rows keep the
 * key they were written under (ClickHouse: an alias merging two people only records the
 * merge). `key(e.uid)` is the person a row counts for; it needs `with` before the SELECT
 * that uses it. Applied in the scanning SELECT itself, after its WHERE, so the filters stay
 * on the table (sort key, PREWHERE) and only matching rows are mapped.
 */
export interface PersonScan {
  with: Sql;
  key(column: Sql): Sql;
}

/** The parts a scan `FROM events e` writes for its rows' person (scanPerson). */
export interface ScanPerson {
  /** Put before the SELECT (empty when rows hold their person). */
  pre: Sql;
  /** The person of row `e` as the output column `uid`. */
  uid: Sql;
  /** The person in a SELECT that outputs `uid`: for GROUP BY and conditions (ClickHouse: the alias itself). */
  key: Sql;
  /** The person of row `e` in a SELECT that does not output `uid`. */
  of: Sql;
}

export function scanPerson(d: SqlDialect, alias = 'e'): ScanPerson {
  const column = new Sql(`${alias}.uid`);
  if (!d.personScan) return { pre: new Sql(''), uid: column, key: column, of: column };
  const of = d.personScan.key(column);
  // ClickHouse expands an alias wherever its name appears; repeating the expression instead
  // would map `uid` inside it once more and no longer match the SELECT's expression.
  return { pre: sql`${d.personScan.with} `, uid: sql`${of} AS uid`, key: new Sql('uid'), of };
}

export interface SqlDialect {
  readonly name: string;
  readonly tables: SqlTables;
  /** Set when rows of `tables.events` keep the key they were written under (see PersonScan). */
  readonly personScan?: PersonScan;
  /** Set when the engine writes the set operations and sequences its own way (see QueryShapes). */
  readonly shapes?: QueryShapes;
  /**
   * Set when the tables hold only a few people's rows (a refresh re-evaluating some people):
   * the compiler then ignores the store's summaries (`CompileContext.rollup`), which cover
   * everyone and would be read whole to answer for a few (the events alone give the same answer).
   */
  readonly fewPeople?: boolean;
  /** The one audited escaping function: a string literal for this engine. */
  quoteString(s: string): string;
  /** A timestamp (UTC) value. */
  timestamp(d: Date): Sql;
  /** ts + amount*unit (amount may be negative); month is calendar, day clamped. */
  addInterval(ts: Sql, amount: number, unit: Unit): Sql;
  /** The UTC calendar day of a timestamp, for counting distinct days. */
  utcDay(ts: Sql): Sql;
  /** Start of the UTC calendar day, ISO week (Monday 00:00) or month containing ts, as a timestamp. */
  calendarPeriodStart(ts: Sql, period: 'day' | 'week' | 'month'): Sql;
  /** Text of the JSON value at path (strings unquoted), NULL when missing or null. */
  jsonText(json: Sql, path: string[]): Sql;
  /** Whether the JSON value at path is of this kind (NULL when missing). */
  jsonIs(json: Sql, path: string[], kind: JsonKind): Sql;
  /** A value identifying the JSON value at path for distinct counting (numbers by value), NULL when missing or null. */
  jsonDistinctKey(json: Sql, path: string[]): Sql;
  /**
   * A distinct key for a value whose `jsonText` is `text` (a typed column), as good as
   * `jsonDistinctKey` for counting: equal for equal values, different for different ones,
   * whichever of the two a row's key comes from. `fallback` is `jsonDistinctKey` of the
   * same value, read only where the text alone cannot tell the JSON type.
   */
  distinctKeyOfText(text: Sql, fallback: Sql): Sql;
  /**
   * The number the JSON value at path stands for under the numeric rule (a
   * finite JSON number, or a string that parses fully as one), else NULL.
   */
  jsonNumber(json: Sql, path: string[]): Sql;
  /** The UTC timestamp a text holding an Instant stands for, else NULL. */
  instant(text: Sql): Sql;
  lower(text: Sql): Sql;
  contains(haystack: Sql, needle: Sql): Sql;
  startsWith(text: Sql, prefix: Sql): Sql;
  endsWith(text: Sql, suffix: Sql): Sql;
  /**
   * Current trait rows (uid, value JSON, text, num) for key as of asOf: the greatest (ts, seq)
   * per uid with ts <= asOf; `text` / `num` are `jsonText` / `jsonNumber` of the value at the root.
   */
  currentTraits(key: Sql, asOf: Sql): Sql;
  /**
   * A SELECT of the distinct `uid`s whose current trait row (as `currentTraits`, alias `tr`) meets
   * `where`, for engines that find them faster than by filtering every current row (ClickHouse:
   * the matching rows first, then whether each is its person's latest). Absent: the compiler
   * filters `currentTraits`. `where` never holds for a NULL value (is_not_set is a complement).
   */
  currentTraitsWhere?(key: Sql, asOf: Sql, where: Sql): Sql;
  /** RE2 search (unanchored) of pattern in text. */
  regexFind(text: Sql, pattern: Sql): Sql;
}
