/**
 * The rows a refresh pass copies for its candidates (`member-set-pass.ts`), read
 * as narrowly as the pass's definitions allow. Finding the candidates' rows
 * cannot skip any part of the events table (it is sorted by (event, ts), and
 * the candidates are spread over all of it), so the cost is one scan of every
 * column copied over every row group read. Both are cut here:
 * - rows: only events some definition of the pass reads (each definition says
 *   which names, references expanded: `IncrementalRefresh.reads`); zonemaps on
 *   `event` skip the row groups of the others;
 * - columns, per event name: only the columns named by the rules that read
 *   that event, each compiled alone (`reads.scans`). A rule reads rows of its
 *   own event names only (every scan filters `e.event`), so the columns other
 *   rules need are never read from these rows and can stay NULL. One INSERT per
 *   distinct column set, each over its event names only (the wide `props` JSON
 *   is then decompressed only for the events whose rules parse it);
 * - traits: only the keys the property rules read, and the history only for
 *   people whose current value is dated after the pass's earliest asOf (the only
 *   rows `duckdbCurrentTraits` reads from it).
 * Without `reads` for some definition, the pass copies every event and key.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { SqlDialect } from '../../cohort/dialect.js';
import { duckdbDialect } from '../../cohort/dialects/duckdb.js';
import type { IncrementalRefresh } from '../membership-store.js';
import { paramTypes } from './database.js';

export const COPIES = ['kohort_pass_events', 'kohort_pass_users', 'kohort_pass_traits_current', 'kohort_pass_traits'] as const;

const quote = (col: string) => `"${col.replace(/"/g, '""')}"`;
const marks = (n: number) => Array.from({ length: n }, () => '?').join(', ');

async function run(c: DuckDBConnection, text: string, params: readonly unknown[] = []): Promise<void> {
  await c.run(text, params as never, paramTypes(params) as never);
}

async function columnsOf(c: DuckDBConnection, table: string): Promise<string[]> {
  const r = await c.runAndReadAll(`SELECT column_name FROM (DESCRIBE ${table})`);
  return (r.getRowObjects() as { column_name: string }[]).map((x) => x.column_name);
}

/**
 * The columns of `all` some text names (as a word): a superset of what the SQL reads (the
 * compiler never selects `*` from the events). Per event, a column the rules reading it need
 * is therefore never left NULL; one no definition names is not in the table at all (binding fails).
 */
function named(all: string[], texts: string[], always: string[]): string[] {
  const text = texts.join('\n');
  return all.filter((col) => always.includes(col) || new RegExp(`\\b${col.replace(/\W/g, '')}\\b`).test(text));
}

export interface PassCopyItem {
  incremental: IncrementalRefresh;
  /** The definition compiled over the copies (what will read them). */
  sql: string;
}

/**
 * Creates the copies every compiled definition of the pass reads instead of the store's tables
 * (`candidates`: a table of uids; `dialect`: the one the definitions were compiled over, which names the copies).
 */
export async function copyCandidateRows(c: DuckDBConnection, items: PassCopyItem[], candidates: string, dialect: SqlDialect): Promise<void> {
  const among = `uid IN (SELECT uid FROM ${candidates})`;
  const texts = items.map((i) => i.sql);
  const reads = items.every((i) => i.incremental.reads) ? items.map((i) => i.incremental.reads!) : null;

  const userCols = named(await columnsOf(c, 'users'), texts, ['uid']).map(quote).join(', ');
  await run(c, `CREATE OR REPLACE TEMP TABLE kohort_pass_users AS SELECT ${userCols} FROM users WHERE ${among}`);

  const eventCols = await columnsOf(c, 'events_all');
  const always = ['uid', 'event'];
  if (!reads) {
    const list = named(eventCols, texts, always).map(quote).join(', ');
    await run(c, `CREATE OR REPLACE TEMP TABLE kohort_pass_events AS SELECT ${list} FROM events_all WHERE ${among}`);
  } else {
    // Per event name: the columns named by every rule reading it (compiled alone, over the same tables).
    const byEvent = new Map<string, Set<string>>();
    const add = (event: string, cols: string[]) => {
      const s = byEvent.get(event) ?? new Set<string>();
      for (const col of cols) s.add(col);
      byEvent.set(event, s);
    };
    for (const [k, r] of reads.entries()) {
      const scans = r.scans(dialect);
      for (const scan of scans) for (const e of scan.events) add(e, named(eventCols, [scan.sql], always));
      // An event read by no rule alone (never, by refreshPlan): everything the definition names.
      for (const e of r.events) if (!scans.some((scan) => scan.events.includes(e))) add(e, named(eventCols, [texts[k]], always));
    }
    // Events sharing a column set are copied by one statement.
    const groups = new Map<string, { cols: string[]; events: string[] }>();
    for (const [e, s] of byEvent) {
      const cols = eventCols.filter((col) => s.has(col));
      const key = cols.join(',');
      const g = groups.get(key) ?? { cols, events: [] };
      g.events.push(e);
      groups.set(key, g);
    }
    const union = eventCols.filter((col) => always.includes(col) || [...byEvent.values()].some((s) => s.has(col)));
    await run(c, `CREATE OR REPLACE TEMP TABLE kohort_pass_events AS SELECT ${union.map(quote).join(', ')} FROM events_all LIMIT 0`);
    for (const g of groups.values()) {
      const list = g.cols.map(quote).join(', ');
      await run(c, `INSERT INTO kohort_pass_events (${list}) SELECT ${list} FROM events_all WHERE event IN (${marks(g.events.length)}) AND ${among}`, g.events);
    }
  }

  // Property rules: the candidates' current traits and trait history, once for all (each rule scanned both tables).
  if (!texts.some((t) => t.includes('kohort_pass_traits'))) return;
  const keys = reads ? [...new Set(reads.flatMap((r) => r.traitKeys))] : null;
  const ofKeys = keys ? `key IN (${keys.length ? marks(keys.length) : 'NULL'}) AND ` : '';
  await run(c, `CREATE OR REPLACE TEMP TABLE kohort_pass_traits_current AS SELECT * FROM user_traits_current WHERE ${ofKeys}${among}`, keys ?? []);
  // History rows are read only for a key whose current row is dated after the query's asOf.
  const asOf = items.reduce((m, i) => (i.incremental.asOf < m ? i.incremental.asOf : m), items[0].incremental.asOf);
  const t = duckdbDialect.timestamp(asOf);
  await run(
    c,
    `CREATE OR REPLACE TEMP TABLE kohort_pass_traits AS SELECT * FROM user_traits
      WHERE ${ofKeys}uid IN (SELECT uid FROM kohort_pass_traits_current WHERE ts > ${t.text})`,
    [...(keys ?? []), ...t.params],
  );
}
