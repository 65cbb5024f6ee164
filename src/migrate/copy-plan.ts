/**
 * The tables `kohort migrate` copies, in order, each from one ordered export of
 * the DuckDB file (storage/duckdb/store-export.ts) into the port that owns its
 * target: the PostgreSQL adapters' import tables (bulk-import.ts), the
 * ClickHouse writer, or the identity port's import (identity-import.ts).
 *
 * Repeats after a stop: a PostgreSQL chunk commits with its progress row, so it
 * is never applied twice. ClickHouse has no transactions: a chunk is written,
 * then recorded. The replacing tables (users, identities, person_merges,
 * cohort_members) make a repeated row harmless (same key, same values, readers
 * take one). For the append-only tables (events, user_traits) the rows of a
 * chunk are recorded as in flight before the write: a resumed copy reads which
 * of those are in already (by seq) and skips them, so each row lands once.
 */
import type { ChEvent, ChTrait } from '../storage/clickhouse/event-writer.js';
import type { ClickHouseEventWriter } from '../storage/clickhouse/event-writer.js';
import type { ClickHouseClient } from '../storage/clickhouse/client.js';
import { clickhouseRowCount, presentSeqs, type ClickHouseCopyTable } from '../storage/clickhouse/copy-checks.js';
import type { ExportRow, ExportTable } from '../storage/duckdb/store-export.js';
import { PG_ACCOUNT_IMPORTS } from '../storage/postgres/account-store.js';
import { countRows, importRows, type PgImportTable } from '../storage/postgres/bulk-import.js';
import { importedExportTraitKeys, PG_COHORT_EXPORT_IMPORTS } from '../storage/postgres/cohort-export-store.js';
import { PG_COHORT_IMPORTS } from '../storage/postgres/cohort-store.js';
import { PG_COLLABORATOR_IMPORTS } from '../storage/postgres/collaborator-store.js';
import type { PgDatabase, PgQueryable } from '../storage/postgres/database.js';
import { PG_SYNC_IMPORTS } from '../storage/postgres/sync-imports.js';
import { PG_WORKFLOW_IMPORTS } from '../storage/postgres/workflow-store.js';

export interface CopyContext {
  pg: PgDatabase;
  clickhouse: ClickHouseClient;
  writer: ClickHouseEventWriter;
  /** The version copied member sets get (fixed per migration, so a repeat is the same row). */
  memberVersion: number;
  /** Merged-away person key -> its final person (chains flattened), for person_merges. */
  mergeTargets: Map<number, number>;
}

interface BaseStep {
  /** The table's name in the report and in the progress table. */
  name: string;
  source: ExportTable;
  /** How many target rows the copy made (for the report). */
  targetCount(ctx: CopyContext): Promise<number>;
  /** Runs once the table is fully copied (derived columns). */
  finish?(ctx: CopyContext): Promise<void>;
}

export interface PostgresStep extends BaseStep {
  target: 'postgres';
  write(q: PgQueryable, rows: ExportRow[]): Promise<void>;
}

export interface ClickHouseStep extends BaseStep {
  target: 'clickhouse';
  /** Append-only tables (rows carry a unique `seq`): a write is recorded as in flight first (see the file comment). */
  seqTable?: 'events' | 'user_traits';
  write(ctx: CopyContext, rows: ExportRow[]): Promise<void>;
}

export type CopyStep = PostgresStep | ClickHouseStep;

const pgStep = (spec: PgImportTable, source: ExportTable, map: (r: ExportRow) => ExportRow = (r) => r): PostgresStep => ({
  name: spec.table,
  target: 'postgres',
  source,
  write: async (q, rows) => void (await importRows(q, spec, rows.map(map))),
  targetCount: (ctx) => countRows(ctx.pg, spec),
});

const chCount = (table: ClickHouseCopyTable) => (ctx: CopyContext) => clickhouseRowCount(ctx.clickhouse, table);
const n = (v: unknown) => Number(v);
const date = (v: unknown) => new Date(Number(v));

/** The steps in copy order: metadata first (small), then people, events and member sets. */
export function copyPlan(): CopyStep[] {
  return [
    pgStep(PG_COHORT_IMPORTS.cohorts, 'cohorts'),
    pgStep(PG_COHORT_IMPORTS.cohort_history, 'cohort_history'),
    pgStep(PG_COLLABORATOR_IMPORTS.cohort_collaborators, 'cohort_collaborators'),
    pgStep(PG_COHORT_EXPORT_IMPORTS.cohort_exports, 'cohort_exports'),
    { ...pgStep(PG_COHORT_EXPORT_IMPORTS.cohort_export_people, 'cohort_export_people'), finish: (ctx) => ctx.pg.tx((q) => importedExportTraitKeys(q)) },
    pgStep(PG_SYNC_IMPORTS.sync_destinations, 'sync_destinations'),
    pgStep(PG_SYNC_IMPORTS.sync_jobs, 'sync_jobs'),
    pgStep(PG_SYNC_IMPORTS.sync_acknowledged, 'sync_acknowledged'),
    pgStep(PG_SYNC_IMPORTS.sync_runs, 'sync_runs'),
    pgStep(PG_SYNC_IMPORTS.sync_inflight, 'sync_inflight'),
    pgStep(PG_ACCOUNT_IMPORTS.accounts, 'accounts'),
    pgStep(PG_ACCOUNT_IMPORTS.sessions, 'sessions'),
    pgStep(PG_ACCOUNT_IMPORTS.api_tokens, 'api_tokens'),
    pgStep(PG_ACCOUNT_IMPORTS.audit_log, 'audit_log'),
    pgStep(PG_WORKFLOW_IMPORTS.workflow_steps, 'workflow_steps'),
    pgStep(PG_WORKFLOW_IMPORTS.workflow_cards, 'workflow_cards'),
    // An execution the embedded process was running when it stopped runs again (as its own start would requeue it).
    pgStep(PG_WORKFLOW_IMPORTS.workflow_actions, 'workflow_actions', (r) =>
      r.status === 'running' ? { ...r, status: 'pending', next_attempt_at: r.next_attempt_at ?? r.moved_at } : r,
    ),
    {
      name: 'users',
      target: 'clickhouse',
      source: 'users',
      write: (ctx, rows) => ctx.writer.users(rows.map((r) => ({ uid: n(r.uid), userId: String(r.user_id), createdAt: date(r.created_at) }))),
      targetCount: chCount('users'),
    },
    {
      name: 'identities',
      target: 'clickhouse',
      source: 'aliases',
      write: (ctx, rows) => ctx.writer.identities(rows.map((r) => ({ anonymousId: String(r.external_id), uid: n(r.uid) }))),
      targetCount: chCount('identities'),
    },
    {
      name: 'person_merges',
      target: 'clickhouse',
      source: 'person_merges',
      write: (ctx, rows) =>
        ctx.writer.personMerges(
          rows.map((r) => ({ fromUid: n(r.from_uid), intoUid: ctx.mergeTargets.get(n(r.from_uid)) ?? n(r.into_uid), version: n(r.seq) })),
        ),
      targetCount: chCount('person_merges'),
    },
    {
      name: 'events',
      target: 'clickhouse',
      source: 'events',
      seqTable: 'events',
      write: (ctx, rows) =>
        ctx.writer.events(
          rows.map(
            (r): ChEvent => ({
              seq: n(r.seq),
              uid: n(r.uid),
              event: String(r.event),
              ts: date(r.ts),
              props: JSON.parse(String(r.props)) as Record<string, unknown>,
              messageId: r.message_id === null ? '' : String(r.message_id),
              receivedAt: date(r.received_at),
            }),
          ),
        ),
      targetCount: chCount('events'),
    },
    {
      name: 'user_traits',
      target: 'clickhouse',
      source: 'user_traits',
      seqTable: 'user_traits',
      write: (ctx, rows) =>
        ctx.writer.traits(rows.map((r): ChTrait => ({ seq: n(r.seq), uid: n(r.uid), key: String(r.key), value: JSON.parse(String(r.value)), ts: date(r.ts) }))),
      targetCount: chCount('user_traits'),
    },
    {
      name: 'cohort_members',
      target: 'clickhouse',
      source: 'cohort_members',
      async write(ctx, rows) {
        const byCohort = new Map<string, number[]>();
        for (const r of rows) {
          const id = String(r.cohort_id);
          byCohort.set(id, [...(byCohort.get(id) ?? []), n(r.uid)]);
        }
        for (const [id, uids] of byCohort) await ctx.writer.addMembers(id, uids, ctx.memberVersion);
      },
      targetCount: chCount('cohort_members'),
    },
  ];
}

/**
 * Leaves out rows of an append-only table that are in already: only the first
 * `unchecked.n` rows after a stop can be (the chunk whose write had started).
 */
export async function withoutPresent(ctx: CopyContext, step: ClickHouseStep, rows: ExportRow[], unchecked: { n: number }): Promise<ExportRow[]> {
  if (!step.seqTable || unchecked.n <= 0) return rows;
  const head = rows.slice(0, unchecked.n);
  unchecked.n -= head.length;
  const present = await presentSeqs(ctx.clickhouse, step.seqTable, head.map((r) => n(r.seq)));
  return present.size ? rows.filter((r, i) => i >= head.length || !present.has(n(r.seq))) : rows;
}
