import { randomBytes } from 'node:crypto';
import type { Account } from '../../schemas/accounts.js';
import type { Cohort } from '../../schemas/cohort.js';
import type { Principal } from '../../schemas/principal.js';
import type { CohortExport, CohortExportStore, ExportRow, TraitsOf } from '../../storage/cohort-export-store.js';
import type { Access } from '../accounts/access-port.js';
import { ServiceError, notFound } from '../errors.js';

/** Finished exports are kept this long, then removed with their snapshot. */
export const EXPORT_RETENTION_MS = 7 * 24 * 3600 * 1000;
const PRUNE_EVERY_MS = 3600 * 1000;

export interface CohortExportDeps {
  store: CohortExportStore;
  cohorts: { get(id: string): Promise<Cohort> };
  /** The cohort's member set as it is now (the membership store). */
  members: { streamMembers(cohortId: string): AsyncIterable<string[]> };
  /** Members' current traits (the event store). */
  traits: TraitsOf;
  access: Access;
  /** The requesting account, to check at run time that it still sees the cohort. */
  accounts: { getAccount(id: string): Promise<Account | null> };
  now?: () => Date;
  log?: (msg: string, err: unknown) => void;
}

export interface ExportStatus {
  request_id: string;
  cohort_id: string;
  async_status: 'JOB INPROGRESS' | 'JOB COMPLETED' | 'JOB FAILED';
  error?: string;
}

const STATUS: Record<CohortExport['status'], ExportStatus['async_status']> = {
  pending: 'JOB INPROGRESS',
  completed: 'JOB COMPLETED',
  failed: 'JOB FAILED',
};

/**
 * Amplitude's async member export (api.md): a request records the cohort's
 * members as of now; a worker adds the traits and completes it. The request is
 * in the store before it is answered, so after a restart the worker finishes
 * it (or reports why it cannot): never lost.
 */
export function createCohortExports(deps: CohortExportDeps) {
  const { store, access } = deps;
  const now = deps.now ?? (() => new Date());
  const log = deps.log ?? ((m, e) => console.error(m, e));
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = true;
  let lastPrune = 0;

  /** The export, if the caller sees its cohort; an export of a hidden cohort is unknown. */
  async function visible(p: Principal, requestId: string): Promise<CohortExport> {
    const e = await store.get(requestId);
    if (!e || (await access.cohortLevel(p, e.cohortId)) === 'none') throw notFound('Export request', requestId);
    return e;
  }

  /** Why the export may not run (access is checked when it runs, not only when asked), or null. */
  async function refusal(e: CohortExport): Promise<string | null> {
    const cohort = await deps.cohorts.get(e.cohortId).catch(() => undefined);
    if (!cohort) return 'The cohort was deleted before the export ran';
    if (e.requestedBy === null) return null;
    const a = await deps.accounts.getAccount(e.requestedBy);
    if (!a || a.disabled) return 'The account that requested the export no longer exists or is disabled';
    const p: Principal = { accountId: a.id, email: a.email, name: a.name, role: a.role, via: 'api_token' };
    if ((await access.cohortLevel(p, e.cohortId)) === 'none') return 'The account that requested the export can no longer see this cohort';
    return null;
  }

  async function runOne(e: CohortExport): Promise<void> {
    try {
      const why = await refusal(e);
      if (why) await store.fail(e.id, why, now());
      else await store.complete(e.id, now(), deps.traits);
    } catch (err) {
      log(`cohort export ${e.id} failed`, err);
      await store.fail(e.id, `The export failed: ${(err as Error).message}`, now()).catch((e2) => log(`cohort export ${e.id}: could not record the failure`, e2));
    }
  }

  /** Runs every pending export (and drops expired ones now and then). */
  async function drain(): Promise<void> {
    if (now().getTime() - lastPrune > PRUNE_EVERY_MS) {
      lastPrune = now().getTime();
      await store.prune(new Date(now().getTime() - EXPORT_RETENTION_MS)).catch((err) => log('pruning old cohort exports failed', err));
    }
    for (const e of await store.pending()) await runOne(e);
  }

  function poke(): void {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = (async () => {
      do {
        again = false;
        await drain().catch((err) => log('cohort exports: the worker failed', err));
      } while (again && !stopped);
    })().finally(() => {
      running = undefined;
    });
  }

  return {
    /** 202 body: the export is recorded (with its member snapshot) before this returns. */
    async request(p: Principal, cohortId: string, props: boolean): Promise<{ request_id: string; cohort_id: string }> {
      await access.requireCohort(p, cohortId, 'read');
      const c = await deps.cohorts.get(cohortId);
      const id = randomBytes(12).toString('hex');
      await store.create({ id, cohortId: c.id, props, requestedBy: p.accountId, requestedAt: now() }, deps.members.streamMembers(c.id));
      poke();
      return { request_id: id, cohort_id: c.id };
    },

    async status(p: Principal, requestId: string): Promise<ExportStatus> {
      const e = await visible(p, requestId);
      return { request_id: e.id, cohort_id: e.cohortId, async_status: STATUS[e.status], ...(e.error ? { error: e.error } : {}) };
    },

    /** The finished export's columns and rows; 409 while it runs or when it failed. */
    async file(p: Principal, requestId: string): Promise<{ export: CohortExport; traitKeys: string[]; rows: AsyncIterable<ExportRow[]> }> {
      const e = await visible(p, requestId);
      if (e.status === 'pending') throw new ServiceError(409, 'export_not_ready', 'The export is still running; poll its request-status until it says JOB COMPLETED');
      if (e.status === 'failed') throw new ServiceError(409, 'export_failed', `The export failed: ${e.error ?? 'unknown error'}`);
      return { export: e, traitKeys: e.props ? await store.traitKeys(e.id) : [], rows: store.rows(e.id) };
    },

    /** Runs pending exports now (tests; the worker does this by itself once started). */
    drain,

    /** Starts the worker and picks up exports left pending by a previous run. */
    start(): void {
      stopped = false;
      poke();
    },

    async stop(): Promise<void> {
      stopped = true;
      await running;
    },
  };
}

export type CohortExports = ReturnType<typeof createCohortExports>;
