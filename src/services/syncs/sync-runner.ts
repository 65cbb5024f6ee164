import { randomUUID } from 'node:crypto';
import type { DestinationOptions, PrepareOutcome } from '../../destinations/destination.js';
import type { DestinationRegistry } from '../../destinations/registry.js';
import type { SyncRecord, SyncRun, SyncRunStatus, SyncState } from '../../schemas/sync.js';
import type { SyncStore } from '../../storage/sync-store.js';
import type { Clock } from './clock.js';
import type { HeldLease, LeaseKeeper } from '../job-lease.js';
import { sendBatches, sendSnapshot } from './batch-sender.js';
import { syncNotFound, syncPaused, syncRunning } from './errors.js';
import type { MembershipSource } from './membership-source.js';
import { planSync, type SyncPlan } from './sync-planner.js';
import { eager, planSyncPages } from './plan-stream.js';
import { sendStreamed } from './streamed-sender.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry-policy.js';
import { silentLogger, type Logger, type RunContext, type RunEnv } from './run-context.js';
import { addError, recordFailure, withRetry } from './run-requests.js';

export type { Logger } from './run-context.js';

export interface SyncRunnerDeps {
  store: SyncStore;
  membership: MembershipSource;
  registry: DestinationRegistry;
  clock: Clock;
  /** In [0, 1): jitter source (tests pass a constant). */
  random?: () => number;
  /** Requests in flight per sync (spec: 4). */
  concurrency?: number;
  retry?: Partial<RetryPolicy>;
  /** Passed to every destination (e.g. a short request timeout in tests). */
  destinationOptions?: DestinationOptions;
  newId?: () => string;
  logger?: Logger;
  /**
   * Several processes on one store: a run holds the lease `sync:<id>` (a run
   * elsewhere is `sync_running`), and a run left `running` by a dead process
   * is closed as interrupted by whoever takes the lease next. Without it, runs
   * are exclusive within this process only (one process per store).
   */
  leases?: LeaseKeeper;
  /**
   * false: every run is planned whole before its first batch (the behaviour
   * before plans were streamed; bench/cases/sync-delta-plan.ts compares the two).
   */
  streamPlans?: boolean;
}

/**
 * Runs syncs: plans members vs acknowledged, prepares the destination, sends
 * batches (N in flight) with retries, and commits each accepted batch to the
 * acknowledged set right away, so a crash resumes without losing a change.
 */
/** Pages from a store method, also when a wrapper (a Proxy making every method async) hands them in a promise. */
async function* settled<T>(pages: AsyncIterable<T> | Promise<AsyncIterable<T>>): AsyncGenerator<T> {
  yield* await pages;
}

export class SyncRunner {
  private readonly store: SyncStore;
  private readonly membership: MembershipSource;
  private readonly registry: DestinationRegistry;
  private readonly clock: Clock;
  private readonly destinationOptions: DestinationOptions;
  private readonly newId: () => string;
  private readonly log: Logger;
  private readonly leases?: LeaseKeeper;
  private readonly streamPlans: boolean;
  /** What sending needs (batch-sender.ts); `live` is per process: only this process runs the sync. */
  private readonly env: RunEnv;
  /** syncId -> { runId, done }: two runs of one sync never overlap. */
  private readonly active = new Map<string, { runId: string; done: Promise<SyncRun> }>();

  constructor(deps: SyncRunnerDeps) {
    this.store = deps.store;
    this.membership = deps.membership;
    this.registry = deps.registry;
    this.clock = deps.clock;
    this.destinationOptions = { now: () => this.clock.now(), ...deps.destinationOptions };
    this.newId = deps.newId ?? randomUUID;
    this.log = deps.logger ?? silentLogger;
    this.leases = deps.leases;
    this.streamPlans = deps.streamPlans ?? true;
    const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...deps.retry };
    this.env = {
      store: this.store,
      membership: this.membership,
      clock: this.clock,
      random: deps.random ?? Math.random,
      policy,
      concurrency: Math.max(1, deps.concurrency ?? 4),
      log: this.log,
      live: new Map(),
    };
  }

  /** Whether runs are leased across processes (then the scheduler also resumes orphaned runs). */
  get leased(): boolean {
    return this.leases !== undefined;
  }

  isRunning(syncId: string): boolean {
    return this.active.has(syncId);
  }

  /** Running here, or (with leases) in another process. */
  async isRunningAnywhere(syncId: string): Promise<boolean> {
    return this.active.has(syncId) || (this.leases !== undefined && (await this.leases.held(`sync:${syncId}`)));
  }

  /** Resolves when every run this runner started has finished. */
  async idle(): Promise<void> {
    await Promise.allSettled([...this.active.values()].map((a) => a.done));
  }

  /**
   * At start-up: runs left `running` by a crash are marked failed (their
   * acknowledged batches are kept; the next run resumes from there).
   */
  async recoverInterrupted(): Promise<string[]> {
    // Other live processes may be running syncs: orphans are closed when their lease is next taken.
    if (this.leases) return [];
    return this.store.failInterruptedRuns(this.clock.now(), 'interrupted: the server stopped during this run');
  }

  /**
   * Starts a run and returns once it is recorded as `running`; `done` resolves
   * with the finished run. Throws `sync_running` / `sync_paused` / `not_found`.
   */
  async start(
    syncId: string,
    trigger: 'schedule' | 'manual' = 'manual',
    opts: { afterRun?: () => Promise<void> } = {},
  ): Promise<{ run: SyncRun; done: Promise<SyncRun> }> {
    if (this.active.has(syncId)) throw syncRunning(syncId, this.active.get(syncId)!.runId);
    // Reserve the slot before any await so concurrent starts cannot both pass.
    const runId = this.newId();
    let release!: (r: SyncRun) => void;
    let fail!: (e: unknown) => void;
    const done = new Promise<SyncRun>((res, rej) => {
      release = res;
      fail = rej;
    });
    done.catch(() => undefined);
    this.active.set(syncId, { runId, done });
    let run: SyncRun;
    let sync: SyncRecord | null;
    let lease: HeldLease | null = null;
    try {
      if (this.leases) {
        lease = await this.leases.hold(`sync:${syncId}`);
        if (!lease) throw syncRunning(syncId, (await this.store.getSync(syncId))?.lastRun?.id);
      }
      sync = await this.store.getSync(syncId);
      if (!sync) throw syncNotFound(syncId);
      if (sync.paused) throw syncPaused(syncId, sync.pausedReason);
      if (lease && sync.lastRun?.status === 'running') await this.closeOrphan(sync.lastRun);
      run = {
        id: runId,
        syncId,
        startedAt: this.clock.now(),
        finishedAt: null,
        status: 'running',
        full: sync.fullSyncDoneAt === null,
        trigger,
        added: 0,
        removed: 0,
        failed: 0,
        skipped: 0,
        requests: 0,
        retries: 0,
        errors: [],
      };
      await this.store.insertRun(run);
      await this.store.updateSync(syncId, { state: 'running', now: run.startedAt });
    } catch (err) {
      await lease?.release().catch(() => undefined);
      this.active.delete(syncId);
      fail(err);
      throw err;
    }
    const startedView = structuredClone(run);
    // afterRun (the scheduler storing the next slot) runs before the lease is
    // released, so no other process sees the sync still due and runs it again.
    const executed = this.execute(sync, run, lease?.lost).then(async (r) => {
      await opts.afterRun?.();
      return r;
    });
    void executed
      .finally(() => lease?.release().catch((e) => this.log.warn('could not release a sync lease', { syncId, error: (e as Error).message })))
      .then(
        (r) => {
          this.active.delete(syncId);
          release(r);
        },
        (e) => {
          this.active.delete(syncId);
          fail(e);
        },
      );
    return { run: startedView, done };
  }

  /** Starts a run and waits for it to finish. */
  /** What a running sync is waiting for now ("retrying (n/8): ..."), or null. */
  liveStatus(syncId: string): string | null {
    return this.env.live.get(syncId) ?? null;
  }

  async run(syncId: string, trigger: 'schedule' | 'manual' = 'manual'): Promise<SyncRun> {
    const { done } = await this.start(syncId, trigger);
    return done;
  }

  /** A run left `running` by a process that died (its lease expired): closed as interrupted. */
  private async closeOrphan(orphan: SyncRun): Promise<void> {
    const now = this.clock.now();
    addError(orphan, { at: now, status: null, message: 'interrupted: the process running it stopped', sampleUserIds: [] });
    await this.store.updateRun({ ...orphan, status: 'failed', finishedAt: now });
    this.log.warn('closed a sync run interrupted in another process', { syncId: orphan.syncId, runId: orphan.id });
  }

  private async execute(sync: SyncRecord, run: SyncRun, leaseLost?: AbortSignal): Promise<SyncRun> {
    let ctx: RunContext | null = null;
    let aborted = false;
    try {
      const destRec = await this.store.getDestination(sync.destinationId);
      if (!destRec) throw new Error(`destination ${sync.destinationId} no longer exists`);
      const cohort = await this.membership.cohort(sync.cohortId);
      if (!cohort) throw new Error(`cohort ${sync.cohortId} no longer exists`);
      const destination = this.registry.create(destRec.type, destRec.config, this.destinationOptions);
      // A batch run with nothing left in flight streams its plan: the first batch
      // goes out while the rest of the difference is still read (plan-stream.ts).
      // Snapshots need the whole change, and batches left in flight by an earlier
      // run the whole plan (batch-work.ts): those are planned whole, as before.
      const streamed =
        this.streamPlans &&
        destination.mode === 'batches' &&
        !destination.needsTotals &&
        this.membership.memberPagesAsOf !== undefined &&
        (await this.store.inFlightBatches(sync.id)).length === 0;
      let plan: SyncPlan | null = null;
      let members: string[] = [];
      let pages: { members: ReturnType<typeof eager<string[]>>; acknowledged: ReturnType<typeof eager<string[]>> } | null = null;
      if (streamed) {
        // Freshness: membership as of the run's start. Read while the destination is prepared.
        pages = { members: eager(this.membership.memberPagesAsOf!(sync.cohortId, run.startedAt)), acknowledged: eager(settled(this.store.acknowledgedPages(sync.id))) };
      } else {
        members = await this.membership.membersAsOf(sync.cohortId, run.startedAt);
        plan = planSync(members, await this.store.acknowledged(sync.id));
      }
      try {
        ctx = { run, sync, cohort, destination, state: { ...sync.protocolState }, authFailed: false, leaseLost, exhausted: 0, accepted: 0 };

        const prep = await withRetry(this.env, ctx, () =>
          destination.prepare({ syncId: sync.id, runId: run.id, cohort, state: ctx!.state, idempotencyKey: `${sync.id}-prepare` }),
        );
        if (prep.kind !== 'ok') {
          aborted = true;
          recordFailure(this.env, ctx, prep, [], 'preparing the destination');
        } else {
          const patch = (prep as Extract<PrepareOutcome, { kind: 'ok' }>).state;
          if (patch && Object.keys(patch).length) {
            await this.store.mergeProtocolState(sync.id, patch);
            Object.assign(ctx.state, patch);
          }
          if (destination.mode === 'snapshot') await sendSnapshot(this.env, ctx, plan!.toAdd, plan!.toRemove, members);
          else if (pages) await sendStreamed(this.env, ctx, destination, planSyncPages(pages.members, pages.acknowledged));
          else await sendBatches(this.env, ctx, destination, plan!.toAdd, plan!.toRemove);
        }
      } finally {
        // Reads not consumed (preparing failed, the run stopped): stop them, and let their errors go.
        if (pages) await Promise.all([pages.members.close(), pages.acknowledged.close()]);
      }
    } catch (err) {
      aborted = true;
      addError(run, { at: this.clock.now(), status: null, message: `run failed: ${(err as Error).message}`, sampleUserIds: [] });
      this.log.error('sync run failed', { syncId: sync.id, runId: run.id, error: (err as Error).message });
    }
    return this.finish(sync, run, ctx, aborted);
  }

  private async finish(sync: SyncRecord, run: SyncRun, ctx: RunContext | null, aborted: boolean): Promise<SyncRun> {
    const now = this.clock.now();
    let status: SyncRunStatus;
    if (aborted || ctx?.authFailed) status = 'failed';
    else if (run.failed > 0) status = ctx && ctx.exhausted > 0 && ctx.accepted === 0 ? 'failed' : 'partial';
    else status = 'succeeded';
    run.status = status;
    run.finishedAt = now;
    await this.store.updateRun(run);
    const state: SyncState = ctx?.authFailed ? 'auth_failed' : status === 'succeeded' ? 'idle' : 'failing';
    await this.store.updateSync(sync.id, {
      state,
      ...(ctx?.authFailed ? { pausedReason: 'auth_failed' as const } : {}),
      // The initial full sync is done once every member was attempted; users that
      // failed stay un-acknowledged and are retried by the next (delta) run.
      ...(run.full && (status === 'succeeded' || status === 'partial') ? { fullSyncDoneAt: now } : {}),
      now,
    });
    this.log.info('sync run finished', { syncId: sync.id, runId: run.id, status, added: run.added, removed: run.removed, failed: run.failed });
    return structuredClone(run);
  }
}
