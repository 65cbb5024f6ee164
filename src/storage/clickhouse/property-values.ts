/**
 * Values of event properties and current traits on ClickHouse, as the filter
 * editor's suggestions read them (storage/duckdb/property-values.ts is the
 * same over DuckDB's JSON). The flattened columns (flatten.ts) hold each
 * path's kind and text, computed by the writer with the reference's rules: the
 * text of a string is itself, of a number or boolean its JSON.
 *
 * A trait's current value per person is the latest (ts, seq) row over all the
 * person's keys. `argMax` of a tuple takes it: a bare Nullable argument would
 * make argMax skip the rows where it is NULL and return an older value.
 */
import { flatElement, KIND_CODE, pathKey } from '../../cohort/dialects/clickhouse';
import { quoteClickHouseString } from '../../cohort/dialects/clickhouse-literals';
import type { PropertyValueCount, TraitSummary } from '../event-store';
import type { ClickHouseClient } from './client';
import { personOf } from './person-keys';
import { containsFolded, lowerNeedle } from './text-search';

/** Kinds whose text is a value a person would type into a filter. */
const SCALAR_KINDS = `(${KIND_CODE.string}, ${KIND_CODE.number}, ${KIND_CODE.boolean})`;
const KIND_NAME: Record<number, string> = { 1: 'string', 2: 'number', 3: 'boolean', 4: 'object', 5: 'array' };

const at = (prefix: string, part: 'kind' | 'text', path: readonly string[]) =>
  flatElement(`${prefix}_${part}`, `${prefix}_keys`, quoteClickHouseString(pathKey(path)), part !== 'kind');

function counts(rows: { v: string; n: string }[]): PropertyValueCount[] {
  return rows.map((r) => ({ value: r.v, count: Number(r.n) }));
}

/**
 * The most frequent scalar values of one event property over the events of
 * that name (the leading sort key: one event's rows are read, not the table),
 * or the most frequent ones containing `search` (any case).
 */
export async function eventPropertyValues(
  client: ClickHouseClient,
  q: { event: string; property: string; search?: string; limit: number },
): Promise<PropertyValueCount[]> {
  const path = q.property.split('.');
  const needle = await lowerNeedle(client, q.search);
  const rows = await client.query<{ v: string; n: string }>(
    `SELECT v, toString(count()) AS n FROM (
       SELECT ${at('props', 'kind', path)} AS k, ${at('props', 'text', path)} AS v FROM events WHERE event = ${quoteClickHouseString(q.event)}
     ) WHERE k IN ${SCALAR_KINDS} AND v IS NOT NULL ${containsFolded('v', needle)}
     GROUP BY v ORDER BY count() DESC, v LIMIT ${Math.max(0, Math.floor(q.limit))}`,
  );
  return counts(rows);
}

/** Current values of one trait (latest per person), most frequent first. */
export async function traitValues(client: ClickHouseClient, q: { property: string; search?: string; limit: number }): Promise<PropertyValueCount[]> {
  const [key, ...rest] = q.property.split('.');
  const needle = await lowerNeedle(client, q.search);
  const source = personOf(`SELECT uid, value_keys, value_kind, value_text, ts, seq FROM user_traits WHERE key = ${quoteClickHouseString(key)}`, [
    'value_keys',
    'value_kind',
    'value_text',
    'ts',
    'seq',
  ]);
  const rows = await client.query<{ v: string; n: string }>(
    `SELECT v, toString(count()) AS n FROM (
       SELECT cur.1 AS k, cur.2 AS v FROM (
         SELECT argMax((${at('value', 'kind', rest)}, ${at('value', 'text', rest)}), (ts, seq)) AS cur FROM ${source} GROUP BY person
       )
     ) WHERE k IN ${SCALAR_KINDS} AND v IS NOT NULL ${containsFolded('v', needle)}
     GROUP BY v ORDER BY count() DESC, v LIMIT ${Math.max(0, Math.floor(q.limit))}`,
  );
  return counts(rows);
}

/** Trait keys people have now, with the kind most of them hold and how many people have one. */
export async function traitNames(client: ClickHouseClient): Promise<TraitSummary[]> {
  const source = personOf('SELECT uid, key, value_keys, value_kind, ts, seq FROM user_traits', ['key', 'value_keys', 'value_kind', 'ts', 'seq']);
  // A cleared trait's value is null, which has no flattened entries: its root kind reads 0.
  const rows = await client.query<{ key: string; k: number; n: string }>(
    `SELECT key, k, toString(count()) AS n FROM (
       SELECT key, argMax(${at('value', 'kind', [])}, (ts, seq)) AS k FROM ${source} GROUP BY person, key
     ) WHERE k != 0 GROUP BY key, k`,
  );
  const byKey = new Map<string, { total: number; best: { k: number; n: number } }>();
  for (const r of rows) {
    const n = Number(r.n);
    const k = Number(r.k);
    const cur = byKey.get(r.key);
    if (!cur) byKey.set(r.key, { total: n, best: { k, n } });
    else {
      cur.total += n;
      if (n > cur.best.n || (n === cur.best.n && k < cur.best.k)) cur.best = { k, n };
    }
  }
  return [...byKey]
    .map(([name, s]) => ({ name, type: KIND_NAME[s.best.k] ?? 'null', count: s.total }))
    .sort((a, b) => b.count - a.count || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
