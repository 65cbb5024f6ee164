import type { PropertyValueCount, TraitSummary } from '../event-store.js';
import { duckdbJsonPath } from '../../cohort/dialects/duckdb.js';
import type { ReadPool } from './database.js';

/** JSON types whose text is a value a person would type into a filter. */
const SCALAR_TYPES = `('VARCHAR', 'BIGINT', 'UBIGINT', 'DOUBLE', 'BOOLEAN')`;

function typeName(jsonType: string | null): string {
  switch (jsonType) {
    case 'VARCHAR': return 'string';
    case 'BIGINT': case 'UBIGINT': case 'DOUBLE': return 'number';
    case 'BOOLEAN': return 'boolean';
    case 'ARRAY': return 'array';
    case 'OBJECT': return 'object';
    default: return 'null';
  }
}

/**
 * The most frequent scalar values of one event property over all stored
 * events of that event (the events are laid out by event name, so this reads
 * one event's rows, not the table), or, when `search` is given, the most
 * frequent ones containing it (any case): rare values are found by typing.
 */
export async function eventPropertyValues(
  reads: ReadPool,
  q: { event: string; property: string; search?: string; limit: number },
): Promise<PropertyValueCount[]> {
  const path = duckdbJsonPath(q.property.split('.'));
  const search = q.search ? 'AND contains(lower(v), lower(?))' : '';
  const rows = await reads.rows<{ v: string; n: bigint }>(
    `SELECT v, count(*) AS n FROM (
       SELECT json_extract_string(props, ?) AS v FROM events_all
        WHERE event = ? AND json_type(props, ?) IN ${SCALAR_TYPES}
     ) WHERE v IS NOT NULL ${search}
     GROUP BY v ORDER BY n DESC, v LIMIT ?`,
    [path, q.event, path, ...(q.search ? [q.search] : []), q.limit],
  );
  return rows.map((r) => ({ value: r.v, count: Number(r.n) }));
}

/** Current values of one trait (latest per person), most frequent first. */
export async function traitValues(
  reads: ReadPool,
  q: { property: string; search?: string; limit: number },
): Promise<PropertyValueCount[]> {
  const [key, ...rest] = q.property.split('.');
  const path = duckdbJsonPath(rest);
  const search = q.search ? 'AND contains(lower(v), lower(?))' : '';
  const rows = await reads.rows<{ v: string; n: bigint }>(
    `SELECT v, count(*) AS n FROM (
       SELECT json_extract_string(j, ?) AS v, json_type(j, ?) AS t FROM (
         SELECT arg_max(value, (ts, seq)) AS j FROM user_traits WHERE key = ? GROUP BY uid
       )
     ) WHERE t IN ${SCALAR_TYPES} AND v IS NOT NULL ${search}
     GROUP BY v ORDER BY n DESC, v LIMIT ?`,
    [path, path, key, ...(q.search ? [q.search] : []), q.limit],
  );
  return rows.map((r) => ({ value: r.v, count: Number(r.n) }));
}

/** Trait keys people have now, with the type most of them hold and how many people have one. */
export async function traitNames(reads: ReadPool): Promise<TraitSummary[]> {
  const rows = await reads.rows<{ key: string; t: string | null; n: bigint }>(
    `SELECT key, mode(t) AS t, count(*) AS n FROM (
       SELECT key, json_type(arg_max(value, (ts, seq))) AS t FROM user_traits GROUP BY uid, key
     ) WHERE t <> 'NULL' GROUP BY key ORDER BY n DESC, key`,
  );
  return rows.map((r) => ({ name: r.key, type: typeName(r.t), count: Number(r.n) }));
}
