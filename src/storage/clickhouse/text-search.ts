/**
 * "Contains, in any case" on ClickHouse, with the dialect's case folding (the
 * one cohort rules use, so a search and a filter agree). That folding is a
 * chain of replaceAll calls around lowerUTF8, for the characters lowerUTF8
 * gets wrong; it is slow to analyse on 18.16 and slow to run on millions of
 * values. So the needle is folded once by the server (`lowerNeedle`), and
 * searches filter in two stages: first the cheap `mayContainFolded` (plain
 * lowerUTF8, or a value holding one of those characters), then the exact
 * `containsFolded` on the rows left. Folding only maps those characters, so
 * every exact match passes the first stage. (18.16 evaluates both sides of an
 * AND on every row: the stages are nested subqueries.)
 */
import { bind, sql, Sql } from '../../cohort/dialect';
import { clickhouseDialect } from '../../cohort/dialects/clickhouse';
import { inlineParams, quoteClickHouseString } from '../../cohort/dialects/clickhouse-literals';
import type { ClickHouseClient } from './client';

const inline = (s: Sql) => inlineParams(s.text, s.params);

/** The characters the dialect's folding maps itself, read from the folding it renders. */
const SPECIAL = (() => {
  const text = clickhouseDialect.lower(new Sql('c')).text;
  const chars = [...text.matchAll(/, '([^'\\]+)', '[^'\\]+'\)/g)].map((m) => m[1]);
  if (!chars.length) throw new Error('could not read the characters of the dialect case folding');
  // Each is one code point outside ASCII: safe inside a regular-expression class.
  return `[${chars.join('')}]`;
})();

/** The search text folded by the server, once per request; undefined for no search (or ''). */
export async function lowerNeedle(client: Pick<ClickHouseClient, 'query'>, search: string | undefined): Promise<string | undefined> {
  if (search === undefined || search === '') return undefined;
  const [r] = await client.query<{ l: string }>(`SELECT ${inline(clickhouseDialect.lower(bind(search)))} AS l`);
  return r.l;
}

/** `AND <column> folded contains the needle`, or nothing without one. */
export function containsFolded(column: string, needle: string | undefined): string {
  if (needle === undefined) return '';
  return `AND ${inline(sql`(position(${clickhouseDialect.lower(new Sql(column))}, ${bind(needle)}) > 0)`)}`;
}

/** A cheap condition every row passing `containsFolded` passes too (the first stage). */
export function mayContainFolded(column: string, needle: string): string {
  return `(position(lowerUTF8(${column}), ${quoteClickHouseString(needle)}) > 0 OR match(${column}, ${quoteClickHouseString(SPECIAL)}))`;
}

/** The rows of `select` (a SELECT with `column`) whose column contains the needle, in two stages. */
export function foldedMatches(select: string, column: string, needle: string): string {
  return `SELECT * FROM (SELECT * FROM (${select}) WHERE ${mayContainFolded(column, needle)}) WHERE 1 ${containsFolded(column, needle)}`;
}
