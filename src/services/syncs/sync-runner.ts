import { randomUUID } from 'node:crypto';
import type {
  Batch,
  BatchDestination,
  CohortRef,
  Destination,
  DestinationOptions,
  PrepareOutcome,
  SendOutcome,
} from '../../destinations/destination.js';
import type { DestinationRegistry } from '../../destinations/registry.js';
import type { SyncRecord, SyncRun, SyncRunError, SyncRunStatus, SyncState } from '../../schemas/sync.js';
import type { SyncStore } from '../../storage/sync-store.js';
import type { Clock } from './clock.js';
import type { HeldLease, LeaseKeeper } from '../job-lease.js';
import { syncNotFound, syncPaused, syncRunning } from './errors.js';
import type { MembershipSource } from './membership-source.js';
import { planSync } from './sync-planner.js';
import { DEFAULT_RETRY_POLICY, retryDelay, type RetryPolicy } from './retry-policy.js';

/** Most errors kept per run, and user ids sampled per error. */
const MAX_ERRORS = 50;
const SAMPLE_SIZE = 10;

export interface Logger {
  info(msg: string, data?: Record<string, unknown>): void;
  warn(msg: string, data?: Record<string, unknown>): void;
  error(msg: string, data?: Record<string, unknown>): void;
}
const silentLogger: Logger = { info() {}, warn() {}, error() {} };

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
}

type Final = Exclude<SendOutcome, { kind: 'retry' }> | (Extract<SendOutcome, { kind: 'retry' }> & { exhausted: true }) | { kind: 'stopped' };

interface RunContext {
  run: SyncRun;
  sync: SyncRecord;
  cohort: CohortRef;
  destination: Destination;
  state: Record<string, unknown>;
  /** Set by a 401/403: no new requests start, no retries continue. */
  authFailed: boolean;
  /** Aborted when this process lost the sync's lease: no new batches start. */
  leaseLost?: AbortSignal;
  /** Batches that ran out of retries / were accepted. */
  exhausted: number;
  accepted: number;
  /** The run-progress write under way, and whether counts changed since it began. */
  saving?: Promise<void> | null;
  saveAgain?: boolean;
}

/**
 * Runs syncs: plans members vs acknowledged, prepares the destination, sends
 * batches (N in flight) with retries, and commits each accepted batch to the
 * acknowledged set right away, so a crash resumes without losing a change.
 */
export class SyncRunner {
  private readonly store: SyncStore;
  private readonly membership: MembershipSource;
  private readonly registry: DestinationRegistry;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly concurrency: number;
  private readonly policy: RetryPolicy;
  private readonly destinationOptions: DestinationOptions;
  private readonly newId: () => string;
  private readonly log: Logger;
  private readonly leases?: LeaseKeeper;
  /** Per running sync: what it is waiting for now (in memory: only this process runs it). */
  private readonly live = new Map<string, string>();
  /** syncId -> { runId, done }: two runs of one sync never overlap. */
  private readonly active = new Map<string, { runId: string; done: Promise<SyncRun> }>();

  constructor(deps: SyncRunnerDeps) {
    this.store = deps.store;
    this.membership = deps.membership;
    this.registry = deps.registry;
    this.clock = deps.clock;
    this.random = deps.random ?? Math.random;
    this.concurrency = Math.max(1, deps.concurrency ?? 4);
    this.policy = { ...DEFAULT_RETRY_POLICY, ...deps.retry };
    this.destinationOptions = { now: () => this.clock.now(), ...deps.destinationOptions };
    this.newId = deps.newId ?? randomUUID;
    this.log = deps.logger ?? silentLogger;
    this.leases = deps.leases;
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
    return this.live.get(syncId) ?? null;
  }

  async run(syncId: string, trigger: 'schedule' | 'manual' = 'manual'): Promise<SyncRun> {
    const { done } = await this.start(syncId, trigger);
    return done;
  }

  /** A run left `running` by a process that died (its lease expired): closed as interrupted. */
  private async closeOrphan(orphan: SyncRun): Promise<void> {
    const now = this.clock.now();
    this.addError(orphan, { at: now, status: null, message: 'interrupted: the process running it stopped', sampleUserIds: [] });
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
      // Freshness: membership as of the run's start.
      const members = await this.membership.membersAsOf(sync.cohortId, run.startedAt);
      const acknowledged = await this.store.acknowledged(sync.id);
      const plan = planSync(members, acknowledged);
      ctx = { run, sync, cohort, destination, state: { ...sync.protocolState }, authFailed: false, leaseLost, exhausted: 0, accepted: 0 };

      const prep = await this.withRetry(ctx, () =>
        destination.prepare({ syncId: sync.id, runId: run.id, cohort, state: ctx!.state, idempotencyKey: `${sync.id}-prepare` }),
      );
      if (prep.kind !== 'ok') {
        aborted = true;
        this.recordFailure(ctx, prep, [], 'preparing the destination');
      } else {
        const patch = (prep as Extract<PrepareOutcome, { kind: 'ok' }>).state;
        if (patch && Object.keys(patch).length) {
          await this.store.mergeProtocolState(sync.id, patch);
          Object.assign(ctx.state, patch);
        }
        if (destination.mode === 'snapshot') await this.sendSnapshot(ctx, plan.toAdd, plan.toRemove, members);
        else await this.sendBatches(ctx, destination, plan.toAdd, plan.toRemove);
      }
    } catch (err) {
      aborted = true;
      this.addError(run, { at: this.clock.now(), status: null, message: `run failed: ${(err as Error).message}`, sampleUserIds: [] });
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

  private async sendSnapshot(ctx: RunContext, toAdd: string[], toRemove: string[], members: string[]): Promise<void> {
    const dest = ctx.destination;
    if (dest.mode !== 'snapshot') return;
    const out = await this.withRetry(ctx, () =>
      dest.writeSnapshot({
        syncId: ctx.sync.id,
        runId: ctx.run.id,
        cohort: ctx.cohort,
        runStartedAt: ctx.run.startedAt,
        full: ctx.run.full,
        added: toAdd,
        removed: toRemove,
        members,
      }),
    );
    if (out.kind === 'ok') {
      ctx.accepted++;
      await this.store.commitBatch(ctx.sync.id, 'add', toAdd);
      await this.store.commitBatch(ctx.sync.id, 'remove', toRemove);
      ctx.run.added += toAdd.length;
      ctx.run.removed += toRemove.length;
    } else {
      this.recordFailure(ctx, out, [...toAdd, ...toRemove], 'writing the export');
    }
    await this.store.updateRun(ctx.run);
  }

  private async sendBatches(ctx: RunContext, dest: BatchDestination, toAdd: string[], toRemove: string[]): Promise<void> {
    const size = Math.max(1, Math.min(ctx.sync.batchSize, dest.maxBatchSize ?? Infinity));
    const work: { op: 'add' | 'remove'; ids: string[]; seq: number; last: boolean; total: number }[] = [];
    for (const [op, ids] of [['add', toAdd], ['remove', toRemove]] as const) {
      const n = Math.ceil(ids.length / size);
      for (let i = 0; i < n; i++) {
        work.push({ op, ids: ids.slice(i * size, (i + 1) * size), seq: i + 1, last: i === n - 1, total: ids.length });
      }
    }
    let next = 0;
    let fatal: unknown = null;
    const worker = async () => {
      while (!ctx.authFailed && !ctx.leaseLost?.aborted && fatal === null && next < work.length) {
        const w = work[next++];
        try {
          await this.sendBatch(ctx, dest, w.op, w.ids, w.seq, w.last, w.total, size);
        } catch (err) {
          // E.g. the store failed to commit: stop starting batches, let the others settle.
          fatal ??= err;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, work.length) }, worker));
    if (fatal !== null) throw fatal;
    if (ctx.leaseLost?.aborted) throw new Error('lease lost: another process took this sync over');
  }

  private async sendBatch(
    ctx: RunContext,
    dest: BatchDestination,
    op: 'add' | 'remove',
    ids: string[],
    seq: number,
    last: boolean,
    estimatedTotal: number,
    batchSize: number,
  ): Promise<void> {
    const props = dest.needsProperties ? await this.membership.userProperties(ids) : new Map<string, Record<string, unknown>>();
    const batch: Batch = {
      op,
      users: ids.map((userId) => ({ userId, properties: props.get(userId) ?? {} })),
      // Stable across retries of this batch, unique across runs and batches.
      idempotencyKey: `${ctx.run.id}-${op}-${seq}`,
      cohort: ctx.cohort,
      syncId: ctx.sync.id,
      runId: ctx.run.id,
      seq,
      last,
      estimatedTotal,
      batchSize,
      state: ctx.state,
    };
    const out = await this.withRetry(ctx, () => dest.send(batch));
    if (out.kind === 'stopped') return;
    if (out.kind === 'ok') {
      ctx.accepted++;
      const skipped = new Set(out.skippedUserIds ?? []);
      const sent = ids.filter((u) => !skipped.has(u));
      // Skipped adds stay un-acknowledged (tried again once they have the
      // identifier); skipped removes leave the set: there is nothing to send.
      await this.store.commitBatch(ctx.sync.id, op, op === 'add' ? sent : ids);
      if (op === 'add') ctx.run.added += sent.length;
      else ctx.run.removed += sent.length;
      ctx.run.skipped += skipped.size;
    } else if (out.kind === 'permanent' && out.failedUserIds) {
      const inBatch = new Set(ids);
      const failed = new Set(out.failedUserIds.filter((u) => inBatch.has(u)));
      const ok = ids.filter((u) => !failed.has(u));
      if (ok.length) {
        ctx.accepted++;
        await this.store.commitBatch(ctx.sync.id, op, ok);
        if (op === 'add') ctx.run.added += ok.length;
        else ctx.run.removed += ok.length;
      }
      this.recordFailure(ctx, out, [...failed], `${op} batch ${seq}`);
    } else {
      this.recordFailure(ctx, out, ids, `${op} batch ${seq}`);
    }
    await this.saveProgress(ctx);
  }

  /**
   * Writes the run's counts. Batches finishing while a write is under way share
   * the next one (which holds all their counts) instead of queueing a write
   * each: with 4 in flight, per-batch writes were half the cost of a full sync.
   */
  private saveProgress(ctx: RunContext): Promise<void> {
    if (ctx.saving) {
      ctx.saveAgain = true;
      return ctx.saving;
    }
    const saving = (async () => {
      try {
        do {
          ctx.saveAgain = false;
          await this.store.updateRun(ctx.run);
        } while (ctx.saveAgain);
      } finally {
        ctx.saving = null;
      }
    })();
    ctx.saving = saving;
    return saving;
  }

  /** Runs one request with the retry policy; counts requests and retries on the run. */
  private async withRetry<T extends SendOutcome | PrepareOutcome>(ctx: RunContext, attempt: () => Promise<T>): Promise<T | Final> {
    for (let retry = 0; ; retry++) {
      if (ctx.authFailed) return { kind: 'stopped' };
      ctx.run.requests++;
      const out = await attempt();
      if (out.kind === 'ok' && 'noRequest' in out && out.noRequest) ctx.run.requests--;
      if (out.kind !== 'retry') return out;
      if (retry >= this.policy.maxRetries) return { ...out, exhausted: true };
      const delay = retryDelay(retry, out.afterMs, this.policy, this.random);
      ctx.run.retries++;
      this.log.warn('sync request will be retried', { syncId: ctx.sync.id, runId: ctx.run.id, delayMs: delay, status: out.status, message: out.message });
      // Let the run's page show the requests and retries while it waits, not "0 requests".
      await this.saveProgress(ctx);
      // What a user sees while the run waits (the sync's `detail`), e.g. "retrying (1/8): connection refused".
      this.live.set(ctx.sync.id, `retrying (${retry + 1}/${this.policy.maxRetries}): ${out.message.replace(/^network error: /, '')}`);
      try {
        await this.clock.sleep(delay);
      } finally {
        this.live.delete(ctx.sync.id);
      }
    }
  }

  private recordFailure(ctx: RunContext, out: Final | SendOutcome | PrepareOutcome, userIds: string[], what: string): void {
    if (out.kind === 'ok' || out.kind === 'stopped') return;
    ctx.run.failed += userIds.length;
    let message = `${what}: ${out.message}`;
    if (out.kind === 'retry') {
      ctx.exhausted++;
      message += ` (gave up after ${this.policy.maxRetries} retries)`;
    }
    if (out.kind === 'auth_failed') {
      ctx.authFailed = true;
      message += ' — credentials rejected; the sync is paused until the destination is updated';
    }
    this.addError(ctx.run, {
      at: this.clock.now(),
      status: out.status ?? null,
      message,
      sampleUserIds: userIds.slice(0, SAMPLE_SIZE),
    });
  }

  private addError(run: SyncRun, e: SyncRunError): void {
    if (run.errors.length < MAX_ERRORS) run.errors.push(e);
  }
}
