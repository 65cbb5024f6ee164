/**
 * The engines the compiled cohort queries are proven on, behind one interface,
 * so the differential and scenario suites run unchanged on each: DuckDB (the
 * embedded store's fixture), ClickHouse 18.16 over HTTP (the server of
 * `.ci/clickhouse.sh`, KOHORT_TEST_CLICKHOUSE_URL; skipped with a message when
 * unset) and ClickHouse 26.x in-process (chdb).
 */
import { appendFileSync } from 'node:fs';
import type { EventRollup, MaterializedProperty, SqlDialect } from '../dialect';
import type { CompiledQuery } from '../cohort-compiler';
import { duckdbDialect } from '../dialects/duckdb';
import { clickhouseDialect, toClickHouseSql } from '../dialects/clickhouse';
import type { EvalData } from '../reference-evaluator';
import type { ExplainRow } from '../explain-compiler';
import { createClickHouseAnalyticsReads } from '../../storage/clickhouse/analytics-reads';
import { clickhouseExplainSql, toClickHouseExplainRow } from '../../storage/clickhouse/cohort-insight-reads';
import { duckdbExplainQuery, toExplainRow } from '../../storage/duckdb/cohort-insight-reads';
import { paramTypes } from '../../storage/duckdb/database';
import { DuckDbCohortFixture } from './duckdb-fixture';
import type { ClickHouseClient } from '../../storage/clickhouse/client';
import { ClickHouseEventWriter } from '../../storage/clickhouse/event-writer';
import { migrateClickHouse } from '../../storage/clickhouse/migrations';
import { freshClickHouseDatabase, noClickHouse } from '../../storage/clickhouse/test-support/ch-test-db';
import { openChdbClient } from '../../storage/clickhouse/test-support/chdb-client';

export interface CohortEngine {
  readonly name: string;
  readonly dialect: SqlDialect;
  /** Replaces the data with `data`; user ids map to uids 1..n in the order of `data.users`. */
  load(data: EvalData): Promise<void>;
  /** The hot columns, all or those of `paths` only. */
  materialized(paths?: string[][]): MaterializedProperty[];
  /** Runs a compiled cohort query; the member user ids (a uid returned twice is an error). */
  members(query: CompiledQuery): Promise<Set<string>>;
  /** Runs any compiled query (a chart's); its rows as the engine's reads give them. */
  rows(query: CompiledQuery): Promise<Record<string, unknown>[]>;
  /** Runs an explain query (explain-compiler.ts) for the user `uid` as the engine's insight reads do. */
  explain(uid: number, query: CompiledQuery, events: string[]): Promise<ExplainRow[]>;
  /** Engines whose store keeps per-(event, person) summaries: build them (see DuckDbCohortFixture.rollup). */
  rollup?(upTo: number, mergedUser?: string): Promise<EventRollup>;
  close(): Promise<void>;
}

export interface EngineSpec {
  name: string;
  /** Why the engine is not available here, or undefined. */
  skip?: string;
  /** Property runs relative to DuckDB's (each case is a few round trips on a server). */
  runScale: number;
  open(opts?: { hot?: string[][] }): Promise<CohortEngine>;
}

function userMap(users: string[]) {
  const uidOf = new Map(users.map((u, i) => [u, i + 1]));
  const userOf = new Map(users.map((u, i) => [i + 1, u]));
  const uid = (u: string) => {
    const id = uidOf.get(u);
    if (id === undefined) throw new Error(`fixture: user ${u} is not in the universe`);
    return id;
  };
  return { uid, userOf };
}

function memberSet(uids: unknown[], userOf: Map<number, string>): Set<string> {
  const out = new Set<string>();
  for (const raw of uids) {
    const user = userOf.get(Number(raw));
    if (user === undefined) throw new Error(`query returned unknown uid ${String(raw)}`);
    if (out.has(user)) throw new Error(`query returned uid ${String(raw)} twice`);
    out.add(user);
  }
  return out;
}

const TABLES = ['events', 'user_traits', 'users', 'cohort_members'];

/** The ClickHouse tables loaded through the adapter's writer, queried with the ClickHouse dialect. */
/** Whether an error is the connection failing (the server gone), not ClickHouse answering with an error. */
function connectionLost(err: unknown): boolean {
  const e = err as { message?: string; cause?: { code?: string; message?: string } };
  return /fetch failed|ECONNREFUSED|ECONNRESET|socket|other side closed/i.test(`${e?.message ?? ''} ${e?.cause?.code ?? ''} ${e?.cause?.message ?? ''}`);
}

/**
 * Debian's ClickHouse 18.16 segfaults now and then during the long property runs (a server bug,
 * not a wrong answer: see docs/ARCHITECTURE.md). .ci/clickhouse.sh restarts it on the same data
 * and reports each restart at the end of the run; here a statement whose connection was lost waits
 * for the server and runs once more. Its answer is still checked like any other; a second loss fails.
 */
async function onceMoreAfterRestart<T>(name: string, client: ClickHouseClient, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (name !== 'clickhouse' || !connectionLost(err)) throw err;
    console.warn(`${name}: the server went away (${(err as Error).message}); waiting for its restart to run the statement again`);
    const until = Date.now() + 60_000;
    for (;;) {
      try {
        await client.query('SELECT 1 AS one');
        break;
      } catch (e) {
        if (Date.now() > until || !connectionLost(e)) throw err;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    return fn();
  }
}

export async function clickhouseEngine(name: string, client: ClickHouseClient, hot: string[][] = []): Promise<CohortEngine> {
  await migrateClickHouse(client);
  const writer = await ClickHouseEventWriter.open(client, hot);
  let userOf = new Map<number, string>();
  const charts = createClickHouseAnalyticsReads(client);
  const engine: CohortEngine = {
    name,
    dialect: clickhouseDialect,
    load: (data) => onceMoreAfterRestart(name, client, () => load(data)),
    materialized(paths) {
      const all = writer.materialized();
      if (!paths) return all;
      const keys = new Set(paths.map((p) => JSON.stringify(p)));
      return all.filter((x) => keys.has(JSON.stringify(x.path)));
    },
    async members(query) {
      const text = toClickHouseSql(query);
      // A query that crashes a server leaves no trace in its logs: KOHORT_CH_QUERY_LOG keeps each one sent.
      if (process.env.KOHORT_CH_QUERY_LOG) appendFileSync(process.env.KOHORT_CH_QUERY_LOG, `${text}\n`);
      const rows = await onceMoreAfterRestart(name, client, () => client.query<{ uid: string }>(text)).catch((err: Error) => {
        throw new Error(`${name}: ${err.message} ${String((err.cause as Error | undefined)?.message ?? '')}\nsql ${text}`);
      });
      return memberSet(rows.map((r) => r.uid), userOf);
    },
    // Through the adapter the analytics service reads charts with.
    async rows(query) {
      const text = toClickHouseSql(query);
      if (process.env.KOHORT_CH_QUERY_LOG) appendFileSync(process.env.KOHORT_CH_QUERY_LOG, `${text}\n`);
      return onceMoreAfterRestart(name, client, () => charts.rows(query)).catch((err: Error) => {
        throw new Error(`${name}: ${err.message}\nsql ${text}`);
      });
    },
    async explain(_uid, query) {
      const text = clickhouseExplainSql(query);
      if (process.env.KOHORT_CH_QUERY_LOG) appendFileSync(process.env.KOHORT_CH_QUERY_LOG, `${text}\n`);
      const rows = await onceMoreAfterRestart(name, client, () => client.query<Record<string, unknown>>(text)).catch((err: Error) => {
        throw new Error(`${name}: ${err.message}\nsql ${text}`);
      });
      return rows.map(toClickHouseExplainRow);
    },
    close: () => client.close(),
  };
  return engine;

  // The whole load runs again after a restart (it starts by emptying the tables).
  async function load(data: Parameters<CohortEngine['load']>[0]): Promise<void> {
    // One statement at a time: a soak with TRUNCATEs and INSERTs on several tables running
    // concurrently once hung on 18.16. (18.16 also segfaults now and then on some query of the
    // long soaks, concurrent or not: KOHORT_CH_QUERY_LOG keeps the queries to find it.)
    for (const t of TABLES) await client.command(`TRUNCATE TABLE ${t}`);
    const m = userMap(data.users);
    userOf = m.userOf;
    const events = data.events.map((e) => ({ seq: e.seq, uid: m.uid(e.userId), event: e.event, ts: e.ts, props: e.props, messageId: `m${e.seq}` }));
    await writer.users(data.users.map((u) => ({ uid: m.uid(u), userId: u })));
    await writer.events(events);
    await writer.traits(data.traits.map((t) => ({ seq: t.seq, uid: m.uid(t.userId), key: t.key, value: t.value, ts: t.ts })));
    for (const [id, users] of Object.entries(data.staticMembers)) await writer.addMembers(id, users.map(m.uid));
  }
}

export function duckdbEngine(fx: DuckDbCohortFixture): CohortEngine {
  return {
    name: 'duckdb',
    dialect: duckdbDialect,
    load: (data) => fx.load(data),
    materialized: (paths) => fx.materialized(paths),
    members: (query) => fx.members(query),
    async rows(query) {
      return (await fx.connection.runAndReadAll(query.sql, query.params as never)).getRowObjects() as Record<string, unknown>[];
    },
    async explain(uid, query, events) {
      const q = duckdbExplainQuery(uid, query, events);
      const rows = await fx.connection.runAndReadAll(q.sql, q.params as never, paramTypes(q.params) as never);
      return rows.getRowObjects().map((r) => toExplainRow(r as Record<string, unknown>));
    },
    rollup: (upTo, mergedUser) => fx.rollup(upTo, mergedUser),
    async close() {
      fx.close();
    },
  };
}

let chdbProblem: string | undefined | null = null;
/** Whether chdb loads here (its engine library is a separate download); the reason when not. */
async function chdbUnavailable(): Promise<string | undefined> {
  if (chdbProblem !== null) return chdbProblem;
  try {
    const { query } = await import('chdb');
    chdbProblem = query('SELECT 1', 'CSV').trim() === '1' ? undefined : 'chdb answered SELECT 1 wrongly';
  } catch (err) {
    chdbProblem = `chdb does not load: ${(err as Error).message}`;
  }
  return chdbProblem;
}

/**
 * Every engine, with `skip` set for those unavailable here, or left out by
 * COHORT_ENGINES (a comma-separated list of names, for a long soak of one engine).
 */
export async function cohortEngines(): Promise<EngineSpec[]> {
  const chdbSkip = await chdbUnavailable();
  if (chdbSkip) console.warn(`chdb suites skipped: ${chdbSkip}`);
  const only = process.env.COHORT_ENGINES?.split(',').map((s) => s.trim());
  return all(chdbSkip).map((e) => (only && !only.includes(e.name) ? { ...e, skip: 'not in COHORT_ENGINES' } : e));
}

function all(chdbSkip: string | undefined): EngineSpec[] {
  return [
    { name: 'duckdb', runScale: 1, open: async (opts) => duckdbEngine(await DuckDbCohortFixture.create(opts)) },
    {
      name: 'clickhouse',
      skip: noClickHouse() ? 'KOHORT_TEST_CLICKHOUSE_URL is not set' : undefined,
      runScale: 0.1,
      open: async (opts) => clickhouseEngine('clickhouse', await freshClickHouseDatabase(), opts?.hot),
    },
    { name: 'chdb', skip: chdbSkip, runScale: 0.15, open: async (opts) => clickhouseEngine('chdb', await openChdbClient(), opts?.hot) },
  ];
}

/** The engines available here, opened (for suites that check every scenario on each). */
export async function openCohortEngines(opts?: { hot?: string[][] }): Promise<CohortEngine[]> {
  const specs = (await cohortEngines()).filter((s) => !s.skip);
  return Promise.all(specs.map((s) => s.open(opts)));
}
