import { randomBytes } from 'node:crypto';
import { exportFolder, OUTSIDE_EXPORT_DIR } from '../../destinations/file-export.js';
import type { DestinationRegistry } from '../../destinations/registry.js';
import {
  createDestinationBodySchema,
  mergeDestinationConfig,
  patchDestinationBodySchema,
  prepareDestinationConfig,
  presentDestination,
} from '../../schemas/destination.js';
import {
  createSyncBodySchema,
  listSyncsQuerySchema,
  patchSyncBodySchema,
  presentRun,
  presentSync,
  type SyncFrequency,
} from '../../schemas/sync.js';
import { DestinationInUseError, SyncExistsError, type SyncPatch, type SyncStore } from '../../storage/sync-store.js';
import { conflict, invalidInput, notFound, zodIssues, parseInput as parse } from '../errors.js';
import type { Clock } from './clock.js';
import type { MembershipSource } from './membership-source.js';
import type { SyncRunner } from './sync-runner.js';
import { initialNextRunAt, nextRunAfter } from './sync-scheduler.js';

export interface SyncServiceDeps {
  store: SyncStore;
  runner: SyncRunner;
  registry: DestinationRegistry;
  membership: MembershipSource;
  clock: Clock;
  /** Called after a change that may make a sync due now (the scheduler's poke). */
  onDue?: () => void;
  newId?: () => string;
  /** KOHORT_EXPORT_DIR: file destinations outside it are a 400. */
  exportDir?: string;
}

/** A file destination's folder must lie inside the export dir (api.md, Security rules). */
function checkExportFolder(exportDir: string | undefined, type: string, config: Record<string, unknown>): void {
  if (type !== 'file' || exportDir === undefined || typeof config.directory !== 'string') return;
  if (exportFolder(exportDir, config.directory) === null) {
    throw invalidInput('Invalid destination config', [{ field: 'config.directory', message: OUTSIDE_EXPORT_DIR }]);
  }
}


/**
 * Destinations and syncs for the HTTP layer: validates input, keeps secrets
 * masked in every answer, maps store conflicts to typed errors.
 */
export function createSyncService(deps: SyncServiceDeps) {
  const { store, runner, registry, membership, clock } = deps;
  /** A running sync also says what it waits for now: `detail: "retrying (2/8): connection refused"`. */
  const withDetail = (s: Parameters<typeof presentSync>[0]) => {
    const detail = runner.liveStatus(s.id);
    return detail ? { ...presentSync(s), detail } : presentSync(s);
  };
  const newId = deps.newId ?? (() => randomBytes(8).toString('hex'));
  const poke = () => deps.onDue?.();

  const destinationOrThrow = async (id: string) => {
    const d = await store.getDestination(id);
    if (!d) throw notFound('destination', id);
    return d;
  };
  const syncOrThrow = async (id: string) => {
    const s = await store.getSync(id);
    if (!s) throw notFound('sync', id);
    return s;
  };

  return {
    async createDestination(body: unknown) {
      const input = parse(createDestinationBodySchema, body, 'destination');
      const { config, generatedSecret } = prepareDestinationConfig(input);
      checkExportFolder(deps.exportDir, input.type, config);
      const d = await store.createDestination({ id: newId(), name: input.name, type: input.type, config, now: clock.now() });
      return presentDestination(d, { generatedSecret });
    },
    async listDestinations() {
      return (await store.listDestinations()).map((d) => presentDestination(d));
    },
    async getDestination(id: string) {
      return presentDestination(await destinationOrThrow(id));
    },
    async patchDestination(id: string, body: unknown) {
      const patch = parse(patchDestinationBodySchema, body, 'destination update');
      const d = await destinationOrThrow(id);
      let config: Record<string, unknown> | undefined;
      if (patch.config) {
        const merged = mergeDestinationConfig(d.type, d.config, patch.config);
        if (!merged.ok) throw invalidInput('Invalid destination config', zodIssues(merged.error.issues).map((i) => ({ ...i, field: `config.${i.field}` })));
        config = merged.config;
        checkExportFolder(deps.exportDir, d.type, config);
      }
      const updated = await store.updateDestination(id, { name: patch.name, config, now: clock.now() });
      if (!updated) throw notFound('destination', id);
      poke(); // syncs paused by an auth failure are resumed by this update
      return presentDestination(updated);
    },
    async deleteDestination(id: string, opts: { force?: boolean } = {}) {
      try {
        if (!(await store.deleteDestination(id, opts))) throw notFound('destination', id);
      } catch (err) {
        if (err instanceof DestinationInUseError) {
          throw conflict('destination_in_use', `Destination is used by ${err.syncIds.length} sync(s); delete them or pass ?force=true`, { syncIds: err.syncIds });
        }
        throw err;
      }
    },
    async testDestination(id: string): Promise<{ ok: boolean; message: string }> {
      const d = await destinationOrThrow(id);
      try {
        return await registry.create(d.type, d.config).test();
      } catch (err) {
        return { ok: false, message: (err as Error).message };
      }
    },

    async createSync(body: unknown) {
      const input = parse(createSyncBodySchema, body, 'sync');
      const d = await destinationOrThrow(input.destinationId);
      if (!(await membership.cohort(input.cohortId))) throw notFound('cohort', input.cohortId);
      const max = registry.create(d.type, d.config).maxBatchSize;
      if (max !== undefined && input.batchSize > max) {
        throw invalidInput('Invalid sync', [{ field: 'batchSize', message: `at most ${max} for ${d.type}` }]);
      }
      const now = clock.now();
      try {
        const s = await store.createSync({ id: newId(), ...input, nextRunAt: initialNextRunAt(input.frequency, now), now });
        poke();
        return presentSync(s);
      } catch (err) {
        if (err instanceof SyncExistsError) {
          throw conflict('sync_exists', 'A sync for this cohort and destination already exists; change it instead', { syncId: err.syncId });
        }
        throw err;
      }
    },
    async listSyncs(query: unknown = {}) {
      const q = parse(listSyncsQuerySchema, query, 'query');
      return (await store.listSyncs(q)).map(withDetail);
    },
    async getSync(id: string) {
      return withDetail(await syncOrThrow(id));
    },
    async patchSync(id: string, body: unknown) {
      const patch = parse(patchSyncBodySchema, body, 'sync update');
      const s = await syncOrThrow(id);
      const now = clock.now();
      const change: SyncPatch = { now };
      if (patch.batchSize !== undefined) {
        const d = await destinationOrThrow(s.destinationId);
        const max = registry.create(d.type, d.config).maxBatchSize;
        if (max !== undefined && patch.batchSize > max) {
          throw invalidInput('Invalid sync update', [{ field: 'batchSize', message: `at most ${max} for ${d.type}` }]);
        }
        change.batchSize = patch.batchSize;
      }
      if (patch.frequency !== undefined && patch.frequency !== s.frequency) {
        change.frequency = patch.frequency;
        change.nextRunAt = rescheduled(patch.frequency, s.lastRun?.startedAt ?? null, now);
      }
      if (patch.paused === true) change.pausedReason = s.pausedReason ?? 'user';
      if (patch.paused === false && s.paused) {
        change.pausedReason = null;
        if (s.state === 'auth_failed') change.state = 'idle';
      }
      const updated = await store.updateSync(id, change);
      if (!updated) throw notFound('sync', id);
      poke();
      return presentSync(updated);
    },
    async deleteSync(id: string) {
      if (await runner.isRunningAnywhere(id)) throw conflict('sync_running', `Sync ${id} is running; delete it once the run ends`);
      if (!(await store.deleteSync(id))) throw notFound('sync', id);
    },
    /** `POST /v1/syncs/:id/run` → 202 with the run (the run goes on in the background). */
    async runNow(id: string) {
      const { run } = await runner.start(id, 'manual');
      return presentRun(run);
    },
    async listRuns(id: string, opts: { limit?: number } = {}) {
      await syncOrThrow(id);
      return (await store.listRuns(id, opts)).map(presentRun);
    },

    /** For the cohort service: DELETE /v1/cohorts/:id is refused while syncs use it (unless forced). */
    hooks: {
      async syncsOf(cohortId: string) {
        return (await store.listSyncs({ cohortId })).map((s) => ({ id: s.id }));
      },
      async deleteSyncsOf(cohortId: string) {
        for (const s of await store.listSyncs({ cohortId })) await store.deleteSync(s.id);
      },
    },
  };
}

/**
 * After a frequency change: `once` has run already (or is running), so no more
 * slots; otherwise one new interval after the last run, or now if that is past
 * or there was no run.
 */
function rescheduled(frequency: SyncFrequency, lastRunAt: Date | null, now: Date): Date | null {
  if (frequency === 'once') return lastRunAt ? null : now;
  if (!lastRunAt) return now;
  const next = nextRunAfter(frequency, lastRunAt, lastRunAt);
  return next && next.getTime() > now.getTime() ? next : now;
}

export type SyncService = ReturnType<typeof createSyncService>;
