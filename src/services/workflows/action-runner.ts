import { EXECUTION_LEASE_MS, type AttemptRecord, type ExecutionRecord, type RunningAttempt, type WorkflowStore } from '../../storage/workflow-store.js';
import { PollLoop } from '../poll-loop.js';
import type { Clock } from '../syncs/clock.js';
import { DEFAULT_RETRY_POLICY, retryDelay, type RetryPolicy } from '../syncs/retry-policy.js';

const DEFAULT_RETENTION_MS = 90 * 86_400_000;
const PRUNE_EVERY_MS = 3_600_000;

/** How one attempt of a step action ended. */
export type ActionOutcome =
  | { kind: 'ok' }
  | { kind: 'retry'; message: string; afterMs?: number }
  | { kind: 'permanent'; message: string };

export type PerformAction = (e: ExecutionRecord) => Promise<ActionOutcome>;

export interface ActionRunnerDeps {
  store: Pick<WorkflowStore, 'claimDue' | 'renewLeases' | 'finishAttempt' | 'requeueRunning' | 'nextDueAt' | 'pruneFinished'>;
  perform: PerformAction;
  clock: Clock;
  /** In [0, 1): jitter source (tests pass a constant). */
  random?: () => number;
  retry?: Partial<RetryPolicy>;
  /** Executions in flight at once. */
  concurrency?: number;
  /** Longest sleep between looks at the queue when nothing pokes the runner. */
  pollIntervalMs?: number;
  /** How long finished executions stay in the log (default 90 days); pruned at most hourly. */
  retentionMs?: number;
  /** How often the claims of attempts in flight are renewed (real time; default a third of the lease). */
  renewEveryMs?: number;
  log?: (msg: string, data?: Record<string, unknown>) => void;
}

/**
 * The worker of the durable step-action queue: claims due executions, runs
 * them, and records each attempt's outcome in the store, retrying with the
 * sync engine's policy. State lives only in the store, so a restart resumes
 * where the last one stopped (executions left running are requeued first).
 */
export class ActionRunner {
  private readonly policy: RetryPolicy;
  private readonly random: () => number;
  private readonly concurrency: number;
  private readonly pollIntervalMs: number;
  private pass: Promise<void> | null = null;
  private again = false;
  private loop: PollLoop | null = null;
  private lastPrune = -Infinity;
  private stopping = false;
  /** Attempts in flight, whose claims are renewed while they run. */
  private readonly running = new Map<string, RunningAttempt>();
  private renewTimer: NodeJS.Timeout | null = null;

  constructor(private readonly deps: ActionRunnerDeps) {
    this.policy = { ...DEFAULT_RETRY_POLICY, ...deps.retry };
    this.random = deps.random ?? Math.random;
    this.concurrency = deps.concurrency ?? 4;
    this.pollIntervalMs = deps.pollIntervalMs ?? 5_000;
  }

  /** After a crash: executions left running are run again (their action must tolerate a repeat). */
  async recoverInterrupted(): Promise<number> {
    const n = await this.deps.store.requeueRunning(this.deps.clock.now());
    if (n) this.deps.log?.('requeued step actions interrupted by a restart', { count: n });
    return n;
  }

  /** Runs every execution due now (and those that fall due meanwhile); one pass at a time. */
  runDue(): Promise<void> {
    if (this.pass) {
      this.again = true;
      return this.pass;
    }
    this.pass = (async () => {
      try {
        do {
          this.again = false;
          await this.runPass();
        } while (this.again);
      } finally {
        this.pass = null;
      }
    })();
    return this.pass;
  }

  /**
   * Runs until no execution is pending, sleeping on the clock until each retry
   * falls due. With a fake clock that is instant: how tests drain the queue.
   */
  async drain(maxRounds = 1_000): Promise<void> {
    for (let round = 0; round < maxRounds; round++) {
      await this.runDue();
      const next = await this.deps.store.nextDueAt();
      if (!next) return;
      const wait = next.getTime() - this.deps.clock.now().getTime();
      if (wait > 0) await this.deps.clock.sleep(wait);
    }
    throw new Error(`step-action queue not drained after ${maxRounds} rounds`);
  }

  /** Requeues interrupted executions, then runs due ones until `stop()`. */
  async start(): Promise<void> {
    if (this.loop) return;
    await this.recoverInterrupted();
    this.loop = new PollLoop({
      clock: this.deps.clock,
      intervalMs: this.pollIntervalMs,
      pass: async () => {
        await this.runDue();
        await this.pruneIfDue();
        const next = await this.deps.store.nextDueAt();
        return next ? next.getTime() - this.deps.clock.now().getTime() : undefined;
      },
      onError: (err) => this.deps.log?.('step-action runner failed; retrying shortly', { error: (err as Error).message }),
    });
    this.loop.start();
  }

  /** Something was enqueued: look now rather than after the poll interval. */
  poke(): void {
    this.loop?.poke();
  }

  /** Stops looking for work and waits for the actions in flight. */
  async stop(): Promise<void> {
    const loop = this.loop;
    this.stopping = true;
    await loop?.stop();
    this.loop = null;
    await this.pass;
    // Stopped means "not looping": drain() and runDue() still work afterwards.
    this.stopping = false;
  }

  /** Keeps the execution log bounded: finished executions older than the retention go. */
  async pruneIfDue(): Promise<number> {
    const now = this.deps.clock.now().getTime();
    if (now - this.lastPrune < PRUNE_EVERY_MS) return 0;
    this.lastPrune = now;
    const n = await this.deps.store.pruneFinished(new Date(now - (this.deps.retentionMs ?? DEFAULT_RETENTION_MS)));
    if (n) this.deps.log?.('pruned finished step actions', { count: n });
    return n;
  }

  private async runPass(): Promise<void> {
    const inflight = new Set<Promise<void>>();
    for (;;) {
      if (this.stopping) break;
      const free = this.concurrency - inflight.size;
      const claimed = free > 0 ? await this.deps.store.claimDue(this.deps.clock.now(), free) : [];
      for (const e of claimed) {
        this.running.set(e.id, { id: e.id, attempts: e.attempts });
        this.keepRenewing();
        const p = this.execute(e).finally(() => {
          inflight.delete(p);
          this.running.delete(e.id);
          if (!this.running.size) this.stopRenewing();
        });
        inflight.add(p);
      }
      if (!inflight.size) break;
      if (!claimed.length || inflight.size >= this.concurrency) await Promise.race(inflight);
    }
    await Promise.all(inflight);
  }

  /**
   * Leases are judged on the database's clock, so renewal runs on real time
   * (not the injectable clock): a slow action keeps its claim, a dead process loses it.
   */
  private keepRenewing(): void {
    if (this.renewTimer) return;
    this.renewTimer = setInterval(() => {
      const list = [...this.running.values()];
      if (!list.length) return;
      this.deps.store.renewLeases(list).catch((err) => this.deps.log?.('could not renew step-action claims', { error: (err as Error).message }));
    }, this.deps.renewEveryMs ?? EXECUTION_LEASE_MS / 3);
    this.renewTimer.unref();
  }

  private stopRenewing(): void {
    if (this.renewTimer) clearInterval(this.renewTimer);
    this.renewTimer = null;
  }

  private async execute(e: ExecutionRecord): Promise<void> {
    let outcome: ActionOutcome;
    try {
      outcome = await this.deps.perform(e);
    } catch (err) {
      // An unexpected error is treated like a transient one: bounded by the retry policy.
      outcome = { kind: 'retry', message: (err as Error).message || String(err) };
    }
    const at = this.deps.clock.now();
    const store = this.deps.store;
    const attempt = { id: e.id, attempts: e.attempts };
    const record = async (r: AttemptRecord) => {
      // Not recorded: the claim lapsed (this process stalled past its lease) and the execution was requeued.
      if (!(await store.finishAttempt(attempt, r))) this.deps.log?.('step action claim lapsed; outcome not recorded', { executionId: e.id, attempts: e.attempts });
    };
    try {
      if (outcome.kind === 'ok') return await record({ kind: 'succeeded', at });
      if (outcome.kind === 'permanent') {
        this.deps.log?.('step action failed', { executionId: e.id, type: e.action.type, attempts: e.attempts, error: outcome.message });
        return await record({ kind: 'failed', at, error: outcome.message });
      }
      const retriesDone = e.attempts - 1;
      if (retriesDone >= this.policy.maxRetries) {
        const error = `${outcome.message} (gave up after ${e.attempts} attempts)`;
        this.deps.log?.('step action failed', { executionId: e.id, type: e.action.type, attempts: e.attempts, error });
        return await record({ kind: 'failed', at, error });
      }
      const delay = retryDelay(retriesDone, outcome.afterMs, this.policy, this.random);
      this.deps.log?.('step action will be retried', { executionId: e.id, type: e.action.type, attempts: e.attempts, error: outcome.message, delayMs: delay });
      await record({ kind: 'retry', at, error: outcome.message, nextAttemptAt: new Date(at.getTime() + delay) });
    } catch (err) {
      // The outcome could not be stored: the execution stays running until its claim lapses (or the next start).
      this.deps.log?.('could not record a step action outcome', { executionId: e.id, error: (err as Error).message });
    }
  }
}
