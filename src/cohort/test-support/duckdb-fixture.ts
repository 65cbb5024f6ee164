/**
 * An in-memory DuckDB with the core schema, loaded from the reference
 * evaluator's data model, to run compiled cohort queries against.
 * User ids map to uids 1..n in the order of `users`; every other event goes to
 * `events_tail` so queries are exercised through the `events_all` view.
 * With `hot` paths, the store's hot property columns exist for them: filled
 * as the reorganizer fills them for rows of `events`, computed by the view
 * for rows of the tail; `materialized` tells the compiler about them.
 */
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { CORE_MIGRATIONS } from '../../storage/duckdb/migrations';
import { paramTypes, SerialConnection } from '../../storage/duckdb/database';
import { BASE_COLUMNS, HotColumns } from '../../storage/duckdb/hot-columns';
import { applyTraitRows } from '../../storage/duckdb/current-traits';
import type { EventRollup, MaterializedProperty } from '../dialect';
import { adoptRollup, buildRollup } from '../../storage/duckdb/event-rollup';
import type { CompiledQuery } from '../cohort-compiler';
import { duckdbTimestampText } from '../dialects/duckdb';
import { parseDefinition, type Definition } from '../../schemas/definition';
import type { CohortResolver, ResolvedCohort } from '../cohort-references';
import type { EvalData, EvalEvent, EvalTrait } from '../reference-evaluator';

type Param = string | number | boolean;

export class DuckDbCohortFixture {
  private uidOf = new Map<string, number>();
  private userOf = new Map<number, string>();

  private constructor(
    private readonly instance: DuckDBInstance,
    readonly connection: DuckDBConnection,
    private readonly hot: HotColumns,
  ) {}

  static async create(opts: { hot?: string[][] } = {}): Promise<DuckDbCohortFixture> {
    const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
    const connection = await instance.connect();
    for (const m of CORE_MIGRATIONS) await connection.run(m.sql);
    const none = await HotColumns.load(connection);
    const hot = new HotColumns((opts.hot ?? []).map((path, i) => ({ slot: i + 1, path })));
    if (hot.slots.length) {
      // What a rebuild of the empty table leaves: the columns, the recorded slots, the view.
      await connection.run(`CREATE TABLE events_new AS SELECT * FROM (${hot.withValues('events')}) LIMIT 0`);
      await connection.run('DROP TABLE events');
      await connection.run('ALTER TABLE events_new RENAME TO events');
      await none.adopt(connection, hot);
    }
    await connection.run(`CREATE TEMP TABLE events_stage AS SELECT ${BASE_COLUMNS} FROM events LIMIT 0`);
    return new DuckDbCohortFixture(instance, connection, hot);
  }

  /** The hot columns of this fixture, all or those of `paths` only. */
  materialized(paths?: string[][]): MaterializedProperty[] {
    const all = this.hot.materialized();
    if (!paths) return all;
    const keys = new Set(paths.map((p) => JSON.stringify(p)));
    return all.filter((m) => keys.has(JSON.stringify(m.path)));
  }

  async clear(): Promise<void> {
    for (const t of ['events', 'events_tail', 'users', 'user_traits', 'user_traits_current', 'cohort_members', 'person_merges', 'event_rollup_state']) {
      await this.connection.run(`DELETE FROM ${t}`);
    }
    this.uidOf.clear();
    this.userOf.clear();
  }

  async load(data: EvalData): Promise<void> {
    await this.clear();
    data.users.forEach((u, i) => {
      this.uidOf.set(u, i + 1);
      this.userOf.set(i + 1, u);
    });
    const uid = (u: string) => {
      const id = this.uidOf.get(u);
      if (id === undefined) throw new Error(`fixture: user ${u} is not in the universe`);
      return id;
    };
    await this.insert('users (uid, user_id, created_at)', '(?, ?, CAST(? AS TIMESTAMP))', data.users.map((u) => [uid(u), u, '2020-01-01 00:00:00']));
    const eventRows = data.events.map((e) => [e.seq, uid(e.userId), e.event, duckdbTimestampText(e.ts), JSON.stringify(e.props), duckdbTimestampText(e.ts), `m${e.seq}`]);
    const eventTuple = '(?, ?, ?, CAST(? AS TIMESTAMP), ?, CAST(? AS TIMESTAMP), ?)';
    await this.connection.run('DELETE FROM events_stage');
    await this.insert(`events_stage (${BASE_COLUMNS})`, eventTuple, eventRows.filter((_, i) => i % 2 === 0));
    await this.connection.run(`INSERT INTO events (${this.hot.allColumns()}) ${this.hot.withValues('events_stage')}`);
    await this.insert('events_tail (seq, uid, event, ts, props, received_at, message_id)', eventTuple, eventRows.filter((_, i) => i % 2 === 1));
    // Traits arrive in two commits, each folded into the current table as the store does.
    const traitRows = data.traits.map((t) => [t.seq, uid(t.userId), t.key, JSON.stringify(t.value), duckdbTimestampText(t.ts)]);
    const half = traitRows.length >> 1;
    for (const part of [traitRows.slice(0, half), traitRows.slice(half)]) {
      if (!part.length) continue;
      await this.insert('user_traits (seq, uid, key, value, ts)', '(?, ?, ?, ?, CAST(? AS TIMESTAMP))', part);
      const seqs = part.map((r) => Number(r[0]));
      await applyTraitRows(this.connection, `seq IN (${seqs.map(() => '?').join(', ')})`, seqs);
    }
    await this.insert(
      'cohort_members (cohort_id, uid)',
      '(?, ?)',
      Object.entries(data.staticMembers).flatMap(([id, users]) => users.map((u) => [id, uid(u)])),
    );
  }

  /**
   * The store's per-(event, person) summaries of the loaded events with seq <= upTo, as the
   * reorganizer builds them. With `mergedUser`, that user's rows belonged to another person
   * (uid 1000) when they were built and were merged into the user after upTo, as an alias does.
   */
  async rollup(upTo: number, mergedUser?: string): Promise<EventRollup> {
    const uid = mergedUser === undefined ? undefined : this.uidOf.get(mergedUser);
    const moveRows = async (from: number, to: number) => {
      for (const t of ['events', 'events_tail']) await this.connection.run(`UPDATE ${t} SET uid = ? WHERE uid = ?`, [to, from]);
    };
    if (uid !== undefined) await moveRows(uid, 1000);
    // Key rows for every slot, numbers and mixed types included: the hardest case for equal keys.
    const state = await buildRollup(new SerialConnection(this.connection), this.hot, upTo, { maxValues: 64, numbers: true });
    if (uid !== undefined) {
      await moveRows(1000, uid);
      await this.connection.run('INSERT INTO person_merges VALUES (?, ?, ?)', [upTo + 1, 1000, uid]);
    }
    await adoptRollup(this.connection, state);
    return state.forCompiler(this.hot);
  }

  private async insert(table: string, tuple: string, rows: Param[][]): Promise<void> {
    for (let i = 0; i < rows.length; i += 500) {
      const chunk = rows.slice(i, i + 500);
      await this.connection.run(`INSERT INTO ${table} VALUES ${chunk.map(() => tuple).join(', ')}`, chunk.flat());
    }
  }

  /** Runs a compiled cohort query; returns the member user ids. */
  async members(query: CompiledQuery): Promise<Set<string>> {
    const reader = await this.connection.runAndReadAll(query.sql, query.params, paramTypes(query.params) as never);
    const rows = reader.getRowObjectsJS();
    const out = new Set<string>();
    for (const row of rows) {
      const user = this.userOf.get(Number(row.uid));
      if (user === undefined) throw new Error(`query returned unknown uid ${String(row.uid)}`);
      if (out.has(user)) throw new Error(`query returned uid ${String(row.uid)} twice`);
      out.add(user);
    }
    return out;
  }

  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
  }
}

// ---------------------------------------------------------------- scenario builders

let seq = 0;

export function ev(userId: string, event: string, ts: string, props: Record<string, unknown> = {}): EvalEvent {
  return { userId, event, ts: new Date(ts), props, seq: ++seq };
}

export function trait(userId: string, key: string, value: unknown, ts: string, traitSeq?: number): EvalTrait {
  return { userId, key, value, ts: new Date(ts), seq: traitSeq ?? ++seq };
}

export function data(users: string[], events: EvalEvent[] = [], traits: EvalTrait[] = [], staticMembers: Record<string, string[]> = {}): EvalData {
  return { users, events, traits, staticMembers };
}

/** A definition checked against the schema, so scenarios only use valid input. */
export function def(match: 'all' | 'any', ...rules: unknown[]): Definition {
  const parsed = parseDefinition({ match, rules });
  if (!parsed.ok) throw new Error(`invalid test definition: ${parsed.issues.map((i) => i.message).join('; ')}`);
  return parsed.value;
}

export const all = (...rules: unknown[]) => def('all', ...rules);
export const one = (rule: unknown): Definition => def('all', rule);

export function resolver(cohorts: Record<string, Definition | 'static'>): CohortResolver {
  return (id: string): ResolvedCohort | undefined => {
    const c = cohorts[id];
    if (c === undefined) return undefined;
    return c === 'static' ? { kind: 'static' } : { kind: 'dynamic', definition: c };
  };
}

