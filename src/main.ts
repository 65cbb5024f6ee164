import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { loggerOptions } from './http/app.js';
import { componentLogger, errorLogger } from './services/log.js';
import { compileDefinition } from './cohort/cohort-compiler.js';
import type { Config } from './config.js';
import { buildApp } from './http/app.js';
import { createAuthenticator } from './http/auth.js';
import { registerCohortRoutes } from './http/cohort-routes.js';
import { registerCohortInsightRoutes } from './http/cohort-insight-routes.js';
import { createCohortInsightService } from './services/cohorts/cohort-insight.js';
import { createDuckDBCohortInsightReads } from './storage/duckdb/cohort-insight-reads.js';
import { registerCollaboratorRoutes } from './http/collaborator-routes.js';
import { createAccess } from './services/accounts/access.js';
import { createSecretBox, loadSecretBox, parseSecretKeys } from './services/secret-box.js';
import { sealConfig, withSealedSecrets } from './services/syncs/sealed-destinations.js';
import { rewriteDestinationConfigs } from './storage/duckdb/destination-secrets.js';
import { rewriteStepActions } from './storage/duckdb/step-secrets.js';
import { sealAction, withSealedStepSecrets } from './services/workflows/sealed-steps.js';
import type { Action } from './schemas/workflow.js';
import { availableParallelism } from 'node:os';
import { createQueryLimiter, DEFAULT_QUERY_TIMEOUT_MS, type QueryLimiter } from './services/query-limiter.js';
import { createGuardedFetch, parseAllowList } from './destinations/outbound-guard.js';
import { createHolderAccess } from './services/accounts/holder-access.js';
import { createActionHolderCheck } from './services/workflows/action-holder.js';
import { createCollaboratorService } from './services/cohorts/collaborators.js';
import { registerSyncRoutes } from './http/sync-routes.js';
import { registerContactRoutes } from './http/contact-routes.js';
import { createContactsService } from './services/contacts.js';
import { createDuckDBContactReads } from './storage/duckdb/contact-reads.js';
import { registerWebApp } from './http/web-static.js';
import { registerAmplitudeCohortRoutes } from './http/amplitude-cohort-routes.js';
import { createCohortExports, type CohortExports } from './services/cohorts/cohort-exports.js';
import { createDestinationRegistry } from './destinations/registry.js';
import { createMembershipSource } from './services/cohorts/cohort-membership.js';
import { systemClock } from './services/syncs/clock.js';
import { createSyncService, type SyncService } from './services/syncs/sync-service.js';
import { SyncRunner } from './services/syncs/sync-runner.js';
import { SyncScheduler } from './services/syncs/sync-scheduler.js';
import { registerAccountRoutes } from './http/account-routes.js';
import { registerAuditRoutes } from './http/audit-routes.js';
import { createAccountService, type AccountService } from './services/accounts/account-service.js';
import { createAuditService, type AuditService } from './services/accounts/audit.js';
import type { ScryptParams } from './services/accounts/passwords.js';
import { createMembersService } from './services/cohorts/cohort-members.js';
import { createMembersCsv } from './services/cohorts/members-csv.js';
import { createDuckDBMemberExportReads } from './storage/duckdb/member-export-reads.js';
import { createCohortScheduler } from './services/cohorts/cohort-scheduler.js';
import { createCohortService, type CohortService } from './services/cohorts/cohort-service.js';
import { createEventsService } from './services/events.js';
import { createIngestService } from './services/ingest.js';
import { openDatabase, type Database } from './storage/duckdb/database.js';
import { registerWorkflowRoutes } from './http/workflow-routes.js';
import { registerAnalyticsRoutes } from './http/analytics-routes.js';
import { createAnalyticsService } from './services/analytics.js';
import { createDuckDBAnalyticsReads } from './storage/duckdb/analytics-reads.js';
import type { Clock } from './services/syncs/clock.js';
import { ActionRunner } from './services/workflows/action-runner.js';
import { createStepActions } from './services/workflows/step-actions.js';
import { createWorkflowService, type WorkflowService } from './services/workflows/workflow-service.js';
import { openDuckDBEventStore, type DuckDBEventStore } from './storage/duckdb/duckdb-event-store.js';
import { createDuckDBMembershipStore } from './storage/duckdb/duckdb-membership-store.js';
import { checkMetadataEngine, duckdbMetadataMigrations, openMetadataPostgres, openMetadataStores, redactUrl } from './metadata-stores.js';
import type { PgDatabase } from './storage/postgres/database.js';
import { LeaseKeeper } from './services/job-lease.js';

const WEB_DIST = fileURLToPath(new URL('../dist/web', import.meta.url));

export const VERSION: string = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;

export interface KohortOptions {
  /** DuckDB file, or ':memory:' (tests). */
  dbPath: string;
  /** DuckDB memory_limit (KOHORT_MEMORY_LIMIT). */
  memoryLimit?: string;
  adminToken: string;
  writeKey: string;
  /** Background reorganization of events and dedup pruning (tests may turn it off). */
  background?: boolean;
  /** Cohort refresh and sync schedulers (tests may turn them off). */
  schedulers?: boolean;
  /**
   * false (KOHORT_WORKER=off): HTTP only. No scheduler, step-action runner or
   * recovery of interrupted jobs: those belong to the worker processes.
   */
  worker?: boolean;
  /** false, or a log level (true = info). */
  logger?: boolean | string;
  /** Where log lines go (default stdout); tests capture them. */
  logStream?: { write(line: string): void };
  /** Time and jitter for workflow step actions (tests pass a fake clock to run retries at once). */
  workflows?: { clock?: Clock; random?: () => number };
  /**
   * `KOHORT_ALLOW_PRIVATE_URLS`: hosts, addresses or CIDR ranges (or `*`) that step
   * webhooks may reach although private or loopback. Default: none.
   */
  allowPrivateUrls?: string;
  /**
   * KOHORT_SECRET_KEY: base64 AES keys, comma-separated, current first. Without it the
   * key lives in `secret-key.json` beside the store (a random one for ':memory:').
   */
  secretKeys?: string;
  /** KOHORT_EXPORT_DIR (default `exports` beside the store). */
  exportDir?: string;
  /** KOHORT_QUERY_TIMEOUT_MS / KOHORT_QUERY_CONCURRENCY (defaults: 30000 ms, the number of cores). */
  queryLimits?: { timeoutMs?: number; concurrency?: number; queueWaitMs?: number };
  /** Password hashing cost; tests may lower it (stored hashes carry their parameters). Default: docs/TEAMS.md. */
  passwordCost?: ScryptParams;
  /** Runs Amplitude-style member exports in the background (default true; tests may run them with `exports.drain()`). */
  exportWorker?: boolean;
  /**
   * KOHORT_DATABASE_URL: cohorts, exports, syncs, accounts, collaborators,
   * workflows, job leases and the sign-in throttle in PostgreSQL. Events, traits
   * and member sets stay in the DuckDB file (single-process until ClickHouse events).
   */
  databaseUrl?: string;
}

export interface Kohort {
  app: FastifyInstance;
  db: Database;
  events: DuckDBEventStore;
  cohorts: CohortService;
  syncs: SyncService;
  /** Accounts, sessions and personal tokens (getAccount / findByEmail for other services). */
  accounts: AccountService;
  /** The audit log: services record changes through `audit.record`. */
  audit: AuditService;
  /** Time limit and concurrency cap for expensive reads: routes wrap their query in `queries.run`. */
  queries: QueryLimiter;
  /** Workflow steps and boards; `runner.drain()` runs the step-action queue dry (tests, with schedulers off). */
  workflows: { service: WorkflowService; runner: ActionRunner };
  /** Amplitude-style async member exports (`drain()` runs the pending ones). */
  exports: CohortExports;
  close(): Promise<void>;
}

/** Composition root: opens the store, wires services and routes; does not listen. */
export async function createKohort(opts: KohortOptions): Promise<Kohort> {
  const background = opts.background ?? true;
  // One process logger: the HTTP layer and every service log through children of it.
  const logOptions = opts.logger ? loggerOptions(typeof opts.logger === 'string' ? opts.logger : 'info') : { level: 'silent' };
  const log = opts.logStream ? pino(logOptions, opts.logStream) : pino(logOptions);
  // PostgreSQL first: an unreachable server fails the start before the DuckDB file is opened.
  const pg: PgDatabase | undefined = opts.databaseUrl ? await openMetadataPostgres(opts.databaseUrl) : undefined;
  let db: Database | undefined;
  try {
    db = await openDatabase(opts.dbPath, duckdbMetadataMigrations(opts.databaseUrl), { memoryLimit: opts.memoryLimit });
    await checkMetadataEngine(db, pg !== undefined);
  } catch (err) {
    await db?.close();
    await pg?.close();
    throw err;
  }
  const stores = await openMetadataStores(db, pg);
  if (pg) {
    log.info(
      { postgres: redactUrl(opts.databaseUrl!), duckdb: opts.dbPath },
      'metadata (cohorts, exports, syncs, accounts, collaborators, workflows, leases) in PostgreSQL; events, traits and member sets in the DuckDB file: run one process per DuckDB file until events move to ClickHouse',
    );
  }
  const leases = stores.leases ? new LeaseKeeper(stores.leases) : undefined;
  const events = await openDuckDBEventStore(db, { logError: errorLogger(log, 'events') });

  // Cohort queries read the event properties the store keeps in typed columns instead of their JSON.
  const compileWithHotColumns: typeof compileDefinition = (definition, ctx, dialect) =>
    compileDefinition(definition, { ...ctx, materialized: events.materializedProperties() }, dialect);
  const cohortStore = stores.cohorts;
  // Member sets live with the events: compiled definitions (and cohort references) read them there.
  const membershipStore = createDuckDBMembershipStore(db, await db.connect(), events.writer.ids, { log: errorLogger(log, 'cohorts') });
  const collaboratorStore = stores.collaborators;
  // Invitees are looked up in the accounts service, made further down (called only at request time).
  const collaborators = createCollaboratorService({ store: collaboratorStore, accounts: { find: (id) => accounts.getAccount(id) } });
  const access = createAccess({ cohorts: cohortStore, collaborators: collaboratorStore });
  // Saved references, step targets and syncs are checked against their holder at each use.
  const holders = createHolderAccess(access, { getAccount: (id) => accounts.getAccount(id) });
  // The cohort and sync services refer to each other (deleting a cohort asks about its syncs).
  let syncs: SyncService | undefined;
  // Boards follow membership: the workflow service is made below, once syncs exist.
  let workflows: WorkflowService | undefined;
  const cohorts = createCohortService({
    store: cohortStore,
    members: membershipStore,
    compile: compileWithHotColumns,
    syncs: { syncsOf: (id) => syncs!.hooks.syncsOf(id), deleteSyncsOf: (id) => syncs!.hooks.deleteSyncsOf(id) },
    collaborators,
    onMembershipChanged: async (id) => workflows?.membershipChanged(id),
    visibleToOwner: (ownerId) => holders.visibleToOwner(ownerId),
    log: errorLogger(log, 'cohorts'),
  });
  await cohorts.recoverInterrupted();
  await cohorts.removeOrphanMembers();
  const members = createMembersService(membershipStore, cohorts);
  const membersCsv = createMembersCsv({ reads: createDuckDBMemberExportReads(db, db.reads), cohorts });

  // Destination secrets are sealed at rest; ones stored in plain text by older versions are sealed now.
  const secretBox = opts.secretKeys
    ? createSecretBox(parseSecretKeys(opts.secretKeys))
    : opts.dbPath === ':memory:'
      ? createSecretBox([randomBytes(32)])
      : loadSecretBox(join(dirname(opts.dbPath), 'secret-key.json'));
  // (PostgreSQL never held plain-text secrets: they were sealed before it was supported.)
  if (stores.engine === 'duckdb') await rewriteDestinationConfigs(db.background, (c) => sealConfig(c, secretBox));
  const syncStore = withSealedSecrets(stores.syncs, secretBox);
  // The file destination writes only under the export dir (none for ':memory:' test instances without one).
  const exportDir = opts.exportDir ?? (opts.dbPath === ':memory:' ? undefined : join(dirname(opts.dbPath), 'exports'));
  const registry = createDestinationRegistry(undefined, { exportDir });
  const membership = createMembershipSource(cohorts, cohortStore, membershipStore, events);
  const runner = new SyncRunner({ store: syncStore, membership, registry, clock: systemClock, leases, logger: componentLogger(log, 'sync-runner') });
  const syncScheduler = new SyncScheduler({ store: syncStore, runner, clock: systemClock, logger: componentLogger(log, 'sync-scheduler') });
  syncs = createSyncService({ store: syncStore, runner, registry, membership, clock: systemClock, exportDir, onDue: () => syncScheduler.poke() });

  const insight = createCohortInsightService({
    reads: createDuckDBCohortInsightReads(db.reads, events.writer.ids),
    cohorts,
    compile: compileWithHotColumns,
    materialized: () => events.materializedProperties(),
    syncs: {
      ofCohort: async (id) => (await syncStore.listSyncs({ cohortId: id })).map((s) => ({ id: s.id, destinationId: s.destinationId })),
      acknowledged: (id) => syncStore.acknowledged(id),
    },
  });

  const workflowClock = opts.workflows?.clock ?? systemClock;
  // Step webhook URLs are chosen by members: they go through the outbound guard.
  const privateAllow = parseAllowList(opts.allowPrivateUrls);
  // Step-webhook secrets are sealed at rest like destination secrets; plain ones from older versions are sealed now
  // (PostgreSQL never held plain-text ones: workflows moved there after sealing).
  if (stores.engine === 'duckdb') {
    await rewriteStepActions(db.background, (a) => sealAction(a as unknown as Action, secretBox) as unknown as Record<string, unknown>);
  }
  const workflowStore = withSealedStepSecrets(stores.workflows, secretBox);
  const actionRunner = new ActionRunner({
    store: workflowStore,
    clock: workflowClock,
    random: opts.workflows?.random,
    perform: createStepActions({
      cohortName: async (id) => (await cohortStore.get(id))?.name ?? null,
      writeEvents: (items) => events.write(items),
      addMembers: (id, body) => members.add(id, body, false),
      runSync: (id) => syncs!.runNow(id),
      now: () => workflowClock.now(),
      http: { fetch: createGuardedFetch(privateAllow) },
      mayUse: createActionHolderCheck({
        holders,
        cohortOwner: async (id) => (await cohortStore.get(id))?.ownerId ?? null,
        syncCohort: async (id) => (await syncStore.getSync(id))?.cohortId ?? null,
      }),
    }),
    log: componentLogger(log, 'step-actions').warn,
  });
  workflows = createWorkflowService({
    store: workflowStore,
    members: (id) => membershipStore.streamMembers(id),
    cohort: (id) => cohorts.get(id),
    access,
    syncCohort: async (id) => (await syncStore.getSync(id))?.cohortId ?? null,
    clock: workflowClock,
    privateAllow,
    onEnqueued: () => actionRunner.poke(),
  });
  await workflows.removeOrphans(new Set((await cohortStore.all()).map((c) => c.id)));

  const accountStore = stores.accounts;
  const audit = createAuditService(accountStore);
  // A deleted account's collaborations go with it (its cohorts keep their ownerId; admins manage them).
  const accounts = createAccountService({
    adminToken: opts.adminToken,
    store: accountStore,
    audit,
    scrypt: opts.passwordCost,
    throttle: stores.throttle,
    onDeleted: (id) => collaboratorStore.removeAccount(id),
  });
  const queries = createQueryLimiter({
    timeoutMs: opts.queryLimits?.timeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS,
    concurrency: opts.queryLimits?.concurrency ?? availableParallelism(),
    queueWaitMs: opts.queryLimits?.queueWaitMs,
  });
  const cohortExports = createCohortExports({
    store: stores.cohortExports,
    cohorts,
    members: membershipStore,
    traits: (ids) => events.userProperties(ids),
    access,
    accounts,
    log: (m, e) => app.log.error({ err: e }, m),
  });
  const auth = createAuthenticator(opts.adminToken);
  auth.setResolver((token) => accounts.resolveToken(token));
  const app = await buildApp({
    auth,
    access,
    writeKey: opts.writeKey,
    version: VERSION,
    ingest: createIngestService(events),
    events: createEventsService(events, (ids) => cohortStore.names(ids)),
    loggerInstance: log,
    plugins: [
      (a) => registerCohortRoutes(a, { cohorts, members, membersCsv, collaborators, auth, access, audit, steps: workflows, queries }),
      (a) => registerCohortInsightRoutes(a, { insight, auth, access, queries }),
      (a) => registerCollaboratorRoutes(a, { cohorts, collaborators, auth, access, audit }),
      (a) => registerSyncRoutes(a, { syncs: syncs!, cohorts, auth, access, audit }),
      (a) =>
        registerContactRoutes(a, {
          auth,
          queries,
          contacts: createContactsService({
            reads: createDuckDBContactReads(db.reads),
            workflows: workflowStore,
            compile: compileWithHotColumns,
            cohortNames: (ids) => cohortStore.names(ids),
            visibleCohorts: (p) => access.visibleCohorts(p),
          }),
        }),
      (a) => registerAccountRoutes(a, { accounts, auth }),
      (a) => registerAuditRoutes(a, { audit, auth }),
      (a) => registerWorkflowRoutes(a, { workflows: workflows!, auth, access, audit }),
      (a) =>
        registerAnalyticsRoutes(a, {
          auth,
          access,
          queries,
          analytics: createAnalyticsService({ reads: createDuckDBAnalyticsReads(db.reads), cohorts: cohortStore, materialized: () => events.materializedProperties() }),
        }),
      (a) => registerAmplitudeCohortRoutes(a, { cohorts, exports: cohortExports, accounts, auth, access }),
      (a) => registerWebApp(a, { distDir: WEB_DIST }),
    ],
  });
  const cohortScheduler = createCohortScheduler(cohorts, { log: errorLogger(log, 'cohort-scheduler'), leases });
  if (background) events.startBackground();
  // Exports left pending by a previous run are finished (or reported failed) now, by a worker process.
  if (opts.worker !== false && (opts.exportWorker ?? true)) cohortExports.start();
  if (opts.worker === false) {
    // Serves requests only; jobs it enqueues are run by a worker process.
  } else if (opts.schedulers ?? true) {
    cohortScheduler.start();
    await syncScheduler.start();
    await actionRunner.start();
  } else {
    await runner.recoverInterrupted();
    await actionRunner.recoverInterrupted();
  }

  let closing: Promise<void> | undefined;
  return {
    app,
    db,
    events,
    cohorts,
    syncs,
    accounts,
    audit,
    queries,
    workflows: { service: workflows, runner: actionRunner },
    exports: cohortExports,
    close() {
      // Stop accepting, let in-flight requests (and their writes) finish, then close the store.
      closing ??= (async () => {
        await app.close();
        await cohortScheduler.stop();
        // Step actions in flight may outlast this; they are requeued at the next start.
        await Promise.race([actionRunner.stop(), new Promise((r) => setTimeout(r, 10_000).unref())]);
        await syncScheduler.stop();
        await cohortExports.stop();
        // Runs resume from their last committed batch, so shutdown need not wait out a long backoff.
        await Promise.race([runner.idle(), new Promise((r) => setTimeout(r, 10_000).unref())]);
        await events.close();
        await db.close();
        await stores.close();
      })();
      return closing;
    },
  };
}

export interface Running extends Kohort {
  url: string;
}

/** `kohort serve`: the whole product on the configured data dir and port. */
export async function startServer(config: Config, opts: { logger?: boolean; background?: boolean } = {}): Promise<Running> {
  const k = await createKohort({
    dbPath: join(config.dataDir, 'kohort.duckdb'),
    memoryLimit: config.memoryLimit,
    adminToken: config.adminToken,
    writeKey: config.writeKey,
    background: opts.background,
    allowPrivateUrls: config.allowPrivateUrls,
    queryLimits: config.queryLimits,
    secretKeys: config.secretKeys,
    exportDir: config.exportDir,
    databaseUrl: config.databaseUrl,
    schedulers: (opts.background ?? true) && config.scheduler,
    worker: config.worker,
    logger: opts.logger ? config.logLevel : false,
  });
  await k.app.listen({ port: config.port, host: config.host });
  const addr = k.app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.port;
  return { ...k, url: `http://localhost:${port}` };
}
