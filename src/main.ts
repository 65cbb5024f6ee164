import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { loggerOptions } from './http/app.js';
import { componentLogger, errorLogger } from './services/log.js';
import { buildApp } from './http/app.js';
import { createAuthenticator } from './http/auth.js';
import { registerCohortRoutes } from './http/cohort-routes.js';
import { registerCohortInsightRoutes } from './http/cohort-insight-routes.js';
import { createCohortInsightService } from './services/cohorts/cohort-insight.js';
import { registerCollaboratorRoutes } from './http/collaborator-routes.js';
import { createAccess } from './services/accounts/access.js';
import { createSecretBox, loadSecretBox, parseSecretKeys } from './services/secret-box.js';
import { sealConfig, withSealedSecrets } from './services/syncs/sealed-destinations.js';
import { sealAction, withSealedStepSecrets } from './services/workflows/sealed-steps.js';
import type { Action } from './schemas/workflow.js';
import { availableParallelism } from 'node:os';
import { createQueryLimiter, DEFAULT_QUERY_TIMEOUT_MS } from './services/query-limiter.js';
import { createGuardedFetch, parseAllowList } from './destinations/outbound-guard.js';
import { createHolderAccess } from './services/accounts/holder-access.js';
import { createActionHolderCheck } from './services/workflows/action-holder.js';
import { createCollaboratorService } from './services/cohorts/collaborators.js';
import { registerSyncRoutes } from './http/sync-routes.js';
import { registerContactRoutes } from './http/contact-routes.js';
import { createContactsService } from './services/contacts.js';
import { registerWebApp } from './http/web-static.js';
import { registerAmplitudeCohortRoutes } from './http/amplitude-cohort-routes.js';
import { createCohortExports } from './services/cohorts/cohort-exports.js';
import { createDestinationRegistry } from './destinations/registry.js';
import { createMembershipSource } from './services/cohorts/cohort-membership.js';
import { systemClock } from './services/syncs/clock.js';
import { createSyncService, type SyncService } from './services/syncs/sync-service.js';
import { SyncRunner } from './services/syncs/sync-runner.js';
import { SyncScheduler } from './services/syncs/sync-scheduler.js';
import { registerAccountRoutes } from './http/account-routes.js';
import { registerAuditRoutes } from './http/audit-routes.js';
import { createAccountService } from './services/accounts/account-service.js';
import { createAuditService } from './services/accounts/audit.js';
import { createMembersService } from './services/cohorts/cohort-members.js';
import { createMembersCsv } from './services/cohorts/members-csv.js';
import { createCohortScheduler } from './services/cohorts/cohort-scheduler.js';
import { createCohortService } from './services/cohorts/cohort-service.js';
import { createEventsService } from './services/events.js';
import { createIngestService } from './services/ingest.js';
import { registerWorkflowRoutes } from './http/workflow-routes.js';
import { registerAnalyticsRoutes } from './http/analytics-routes.js';
import { createAnalyticsService } from './services/analytics.js';
import { ActionRunner } from './services/workflows/action-runner.js';
import { createStepActions } from './services/workflows/step-actions.js';
import { createWorkflowService, type WorkflowService } from './services/workflows/workflow-service.js';
import { LeaseKeeper } from './services/job-lease.js';
import { compileDefinition } from './cohort/cohort-compiler.js';
import { openEngines } from './open-engines.js';
import type { Kohort, KohortOptions } from './kohort-options.js';

export type { Kohort, KohortOptions };

const WEB_DIST = fileURLToPath(new URL('../dist/web', import.meta.url));

export const VERSION: string = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;

/** Composition root: opens the store, wires services and routes; does not listen. */
export async function createKohort(opts: KohortOptions): Promise<Kohort> {
  const background = opts.background ?? true;
  // One process logger: the HTTP layer and every service log through children of it.
  const logOptions = opts.logger ? loggerOptions(typeof opts.logger === 'string' ? opts.logger : 'info') : { level: 'silent' };
  const log = opts.logStream ? pino(logOptions, opts.logStream) : pino(logOptions);
  // Destination and step-webhook secrets are sealed at rest; ones stored in plain text by older versions are sealed on open.
  const secretBox = opts.secretKeys
    ? createSecretBox(parseSecretKeys(opts.secretKeys))
    : opts.dbPath === ':memory:'
      ? createSecretBox([randomBytes(32)])
      : loadSecretBox(join(dirname(opts.dbPath), 'secret-key.json'));
  const opened = await openEngines({
    dbPath: opts.dbPath,
    memoryLimit: opts.memoryLimit,
    databaseUrl: opts.databaseUrl,
    eventsUrl: opts.eventsUrl,
    legacySecrets: {
      destinationConfig: (c) => sealConfig(c, secretBox),
      stepAction: (a) => sealAction(a as unknown as Action, secretBox) as unknown as Record<string, unknown>,
    },
    log,
    logError: errorLogger(log, 'events'),
  });
  const engine = opened.events;
  const stores = opened.metadata;
  const leases = stores.leases ? new LeaseKeeper(stores.leases) : undefined;
  const events = engine.events;

  // Compiled in the engine's dialect, reading the event properties it keeps in typed columns instead of
  // their JSON, and its per-(event, person) summaries where those are exact.
  const compile: typeof compileDefinition = (definition, ctx, dialect = engine.dialect) =>
    compileDefinition(definition, { ...ctx, materialized: engine.materializedProperties(), rollup: engine.eventRollup?.() }, dialect);
  const cohortStore = stores.cohorts;
  const membershipStore = engine.members;
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
    compile,
    syncs: { syncsOf: (id) => syncs!.hooks.syncsOf(id), deleteSyncsOf: (id) => syncs!.hooks.deleteSyncsOf(id) },
    collaborators,
    onMembershipChanged: async (id) => workflows?.membershipChanged(id),
    visibleToOwner: (ownerId) => holders.visibleToOwner(ownerId),
    log: errorLogger(log, 'cohorts'),
  });
  await cohorts.recoverInterrupted();
  await cohorts.removeOrphanMembers();
  const members = createMembersService(membershipStore, cohorts);
  const membersCsv = createMembersCsv({ reads: engine.memberExports, cohorts });

  const syncStore = withSealedSecrets(stores.syncs, secretBox);
  // The file destination writes only under the export dir (none for ':memory:' test instances without one).
  const exportDir = opts.exportDir ?? (opts.dbPath === ':memory:' ? undefined : join(dirname(opts.dbPath), 'exports'));
  const registry = createDestinationRegistry(undefined, { exportDir });
  const membership = createMembershipSource(cohorts, cohortStore, membershipStore, events);
  const runner = new SyncRunner({ store: syncStore, membership, registry, clock: systemClock, leases, logger: componentLogger(log, 'sync-runner') });
  const syncScheduler = new SyncScheduler({ store: syncStore, runner, clock: systemClock, logger: componentLogger(log, 'sync-scheduler') });
  syncs = createSyncService({ store: syncStore, runner, registry, membership, clock: systemClock, exportDir, onDue: () => syncScheduler.poke() });

  const insight = createCohortInsightService({
    reads: engine.insight,
    cohorts,
    compile,
    materialized: () => engine.materializedProperties(),
    dialect: engine.dialect,
    syncs: {
      ofCohort: async (id) => (await syncStore.listSyncs({ cohortId: id })).map((s) => ({ id: s.id, destinationId: s.destinationId })),
      acknowledged: (id) => syncStore.acknowledged(id),
    },
  });

  const workflowClock = opts.workflows?.clock ?? systemClock;
  // Step webhook URLs are chosen by members: they go through the outbound guard.
  const privateAllow = parseAllowList(opts.allowPrivateUrls);
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
            reads: engine.contacts,
            workflows: workflowStore,
            compile,
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
          analytics: createAnalyticsService({
            reads: engine.analytics,
            cohorts: cohortStore,
            materialized: () => engine.materializedProperties(),
            dialect: engine.analyticsDialect,
          }),
        }),
      (a) => registerAmplitudeCohortRoutes(a, { cohorts, exports: cohortExports, accounts, auth, access }),
      (a) => registerWebApp(a, { distDir: WEB_DIST }),
    ],
  });
  const cohortScheduler = createCohortScheduler(cohorts, { log: errorLogger(log, 'cohort-scheduler'), leases });
  if (background) engine.startBackground();
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
    engine,
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
        await opened.close();
      })();
      return closing;
    },
  };
}
