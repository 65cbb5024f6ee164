import { PG_IDENTITY_MIGRATIONS } from './storage/postgres/identity-migrations.js';
import { ConfigError } from './config.js';
import type { AccountStore } from './storage/account-store.js';
import type { CohortExportStore } from './storage/cohort-export-store.js';
import type { CohortStore } from './storage/cohort-store.js';
import type { CollaboratorStore } from './storage/collaborator-store.js';
import type { JobLeases } from './storage/job-leases.js';
import type { SignInThrottle } from './storage/signin-throttle.js';
import type { SyncStore } from './storage/sync-store.js';
import type { WorkflowStore } from './storage/workflow-store.js';
import { ACCOUNT_MIGRATIONS } from './storage/duckdb/account-migrations.js';
import { createDuckDBAccountStore } from './storage/duckdb/account-store.js';
import { COHORT_EXPORT_MIGRATIONS } from './storage/duckdb/cohort-export-migrations.js';
import { createDuckDBCohortExportStore } from './storage/duckdb/cohort-export-store.js';
import { COHORT_MIGRATIONS } from './storage/duckdb/cohort-migrations.js';
import { COLLABORATOR_MIGRATIONS } from './storage/duckdb/collaborator-migrations.js';
import { createDuckDBCollaboratorStore } from './storage/duckdb/collaborator-store.js';
import type { Database } from './storage/duckdb/database.js';
import { createDuckDBCohortStore } from './storage/duckdb/duckdb-cohort-store.js';
import type { Migration } from './storage/duckdb/migrations.js';
import { METADATA_ENGINE_MIGRATIONS, metadataEngineOf, recordMetadataEngine } from './storage/duckdb/metadata-engine.js';
import { SYNC_MIGRATIONS } from './storage/duckdb/sync-migrations.js';
import { DuckDBSyncStore } from './storage/duckdb/sync-store.js';
import { rewriteDestinationConfigs } from './storage/duckdb/destination-secrets.js';
import { rewriteStepActions } from './storage/duckdb/step-secrets.js';
import { WORKFLOW_MIGRATIONS } from './storage/duckdb/workflow-migrations.js';
import { createDuckDBWorkflowStore } from './storage/duckdb/workflow-store.js';
import { PG_ACCOUNT_MIGRATIONS } from './storage/postgres/account-migrations.js';
import { createPgAccountStore } from './storage/postgres/account-store.js';
import { createPgCohortExportStore } from './storage/postgres/cohort-export-store.js';
import { PG_COHORT_EXPORT_MIGRATIONS, PG_COHORT_MIGRATIONS } from './storage/postgres/cohort-migrations.js';
import { createPgCohortStore } from './storage/postgres/cohort-store.js';
import { PG_COLLABORATOR_MIGRATIONS } from './storage/postgres/collaborator-migrations.js';
import { createPgCollaboratorStore } from './storage/postgres/collaborator-store.js';
import { openPostgres, type PgDatabase } from './storage/postgres/database.js';
import { createPgJobLeases } from './storage/postgres/job-leases.js';
import { PG_LEASE_MIGRATIONS } from './storage/postgres/lease-migrations.js';
import { createPgSignInThrottle, PG_SIGNIN_THROTTLE_MIGRATIONS } from './storage/postgres/signin-throttle.js';
import { PG_SYNC_MIGRATIONS } from './storage/postgres/sync-migrations.js';
import { PgSyncStore } from './storage/postgres/sync-store.js';
import { PG_WORKFLOW_MIGRATIONS } from './storage/postgres/workflow-migrations.js';
import { createPostgresWorkflowStore } from './storage/postgres/workflow-store.js';

/**
 * The metadata stores (docs/ARCHITECTURE.md, Ports and engines): in the
 * DuckDB file by default, in PostgreSQL with `KOHORT_DATABASE_URL`. Events,
 * traits and member sets are the events engine's (open-engines.ts).
 */
export interface MetadataStores {
  engine: 'duckdb' | 'postgres';
  cohorts: CohortStore;
  cohortExports: CohortExportStore;
  /** Destination configs as stored (the caller seals their secrets). */
  syncs: SyncStore;
  accounts: AccountStore;
  collaborators: CollaboratorStore;
  /** Workflow steps, cards and the step-action queue (the caller seals step secrets). */
  workflows: WorkflowStore;
  /** Shared job leases (PostgreSQL only: the embedded store is one process). */
  leases?: JobLeases;
  /** A sign-in throttle shared by every process (PostgreSQL only; else the in-process one). */
  throttle?: SignInThrottle;
  close(): Promise<void>;
}

/** DuckDB migrations of the metadata modules that live in the file (none with PostgreSQL). */
export function duckdbMetadataMigrations(databaseUrl: string | undefined): readonly (readonly Migration[])[] {
  const embedded = [COHORT_MIGRATIONS, SYNC_MIGRATIONS, ACCOUNT_MIGRATIONS, COLLABORATOR_MIGRATIONS, COHORT_EXPORT_MIGRATIONS, WORKFLOW_MIGRATIONS];
  return [METADATA_ENGINE_MIGRATIONS, ...(databaseUrl ? [] : embedded)];
}

/**
 * A data dir stays with the metadata engine it started with: events and
 * member sets in the file belong to the cohorts of that engine. Switching
 * either way is refused (until `kohort migrate` moves an embedded store).
 */
export async function checkMetadataEngine(db: Database, postgres: boolean): Promise<void> {
  const engine = await metadataEngineOf(db);
  if (postgres && engine === 'duckdb') {
    throw new ConfigError(
      'KOHORT_DATABASE_URL is set but this data dir already holds an embedded store (cohorts, accounts or destinations in its DuckDB file), which PostgreSQL would hide: use a new KOHORT_DATA_DIR, or unset KOHORT_DATABASE_URL; `kohort migrate --from <data dir>` moves an embedded store to PostgreSQL and ClickHouse',
    );
  }
  if (!postgres && engine === 'postgres') {
    throw new ConfigError('This data dir keeps its cohorts, syncs and accounts in PostgreSQL beside events in its DuckDB file (it was started with KOHORT_DATABASE_URL alone, which this version no longer offers): keep running it with the previous release (docs/DEPLOY.md)');
  }
  if (postgres && engine === null) await recordMetadataEngine(db, 'postgres');
}

export const PG_METADATA_MIGRATIONS = [
  PG_COHORT_MIGRATIONS,
  PG_COHORT_EXPORT_MIGRATIONS,
  PG_SYNC_MIGRATIONS,
  PG_ACCOUNT_MIGRATIONS,
  PG_COLLABORATOR_MIGRATIONS,
  PG_LEASE_MIGRATIONS,
  PG_SIGNIN_THROTTLE_MIGRATIONS,
  PG_WORKFLOW_MIGRATIONS,
  // Identity and dedup claims of the ClickHouse events engine (shared by every process).
  PG_IDENTITY_MIGRATIONS,
] as const;

/** Connects to PostgreSQL and migrates it; a server that cannot be reached is one clear error. */
export async function openMetadataPostgres(url: string): Promise<PgDatabase> {
  try {
    return await openPostgres(url, PG_METADATA_MIGRATIONS);
  } catch (err) {
    // A configuration error: the CLI prints this one line (no stack) and exits.
    throw new ConfigError(`KOHORT_DATABASE_URL: cannot use PostgreSQL at ${redactUrl(url)}: ${reason(err)}`);
  }
}

/** Why a connection failed, in words (a refused `localhost` is an AggregateError with an empty message). */
function reason(err: unknown): string {
  const e = err as { message?: string; code?: string; errors?: { message?: string }[] };
  return e?.message || e?.errors?.map((x) => x.message).filter(Boolean).join('; ') || e?.code || String(err);
}

/** The URL without its password (for messages and logs). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '••••';
    return u.toString();
  } catch {
    return '(an invalid URL)';
  }
}

/**
 * How secrets stored in plain text by older versions are sealed on start
 * (the caller owns the secret box). Only the embedded store can hold such
 * rows: PostgreSQL never held plain-text secrets (destinations and
 * workflows moved there after sealing).
 */
export interface LegacySecretSealing {
  destinationConfig(config: Record<string, unknown>): Record<string, unknown>;
  stepAction(action: Record<string, unknown>): Record<string, unknown>;
}

/** PostgreSQL when given, else the embedded stores in the DuckDB file `db`. */
export async function openMetadataStores(db: Database | undefined, pg: PgDatabase | undefined, legacy: LegacySecretSealing): Promise<MetadataStores> {
  if (pg) {
    return {
      engine: 'postgres',
      cohorts: createPgCohortStore(pg),
      cohortExports: createPgCohortExportStore(pg),
      syncs: new PgSyncStore(pg),
      accounts: createPgAccountStore(pg),
      collaborators: createPgCollaboratorStore(pg),
      workflows: createPostgresWorkflowStore(pg),
      leases: createPgJobLeases(pg),
      throttle: createPgSignInThrottle(pg),
      close: () => pg.close(),
    };
  }
  if (!db) throw new Error('metadata stores: neither PostgreSQL nor a DuckDB file to open them on');
  await rewriteDestinationConfigs(db.background, legacy.destinationConfig);
  await rewriteStepActions(db.background, legacy.stepAction);
  return {
    engine: 'duckdb',
    cohorts: createDuckDBCohortStore(db, await db.connect()),
    cohortExports: createDuckDBCohortExportStore(db, await db.connect()),
    syncs: new DuckDBSyncStore((await db.connect()).raw, (await db.connect()).raw),
    accounts: createDuckDBAccountStore(db, await db.connect()),
    collaborators: createDuckDBCollaboratorStore(await db.connect()),
    // Its own connection: a board's read-check-write never interleaves with other work.
    workflows: createDuckDBWorkflowStore(await db.connect()),
    // The file is the events engine's: it closes it.
    close: async () => undefined,
  };
}
