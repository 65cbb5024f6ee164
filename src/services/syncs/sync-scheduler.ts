import type { SyncFrequency, SyncRun } from '../../schemas/sync.js';
import type { SyncStore } from '../../storage/sync-store.js';
import { PollLoop } from '../poll-loop.js';
import type { Clock } from './clock.js';
import { ServiceError } from '../errors.js';
import type { Logger, SyncRunner } from './sync-runner.js';

const INTERVAL_MS: Record<Exclude<SyncFrequency, 'once'>, number> = {
  hourly: 60 * 60_000,
  daily: 24 * 60 * 60_000,
};

/**
 * When a new sync first runs: right away for every frequency (a user who sets up
 * an hourly sync expects data now, not in an hour); the schedule follows from there.
 */
export function initialNextRunAt(_frequency: SyncFrequency, now: Date): Date {
  return now;
}

/**
 * The slot after a finished run. `once` has none. Otherwise the next slot on the
 * sync's grid (scheduledAt + k·interval) strictly after `now`: slots missed while
 * the server was down are skipped, so they run once, not once per missed slot.
 */
export function nextRunAfter(frequency: SyncFrequency, scheduledAt: Date | null, now: Date): Date | null {
  if (frequency === 'once') return null;
  const interval = INTERVAL_MS[frequency];
  const base = scheduledAt ?? now;
  const k = Math.max(1, Math.floor((now.getTime() - base.getTime()) / interval) + 1);
  return new Date(base.getTime() + k * interval);
}

export interface SyncSchedulerDeps {
  store: SyncStore;
  runner: SyncRunner;
  clock: Clock;
  /** How often due syncs are looked for (default 15 s). */
  pollIntervalMs?: number;
  logger?: Logger;
}

export interface ScheduledRun {
  syncId: string;
  run: SyncRun;
  /** Resolves once the run finished and the sync's next slot is stored. */
  done: Promise<SyncRun>;
}

/**
 * Starts due syncs. Paused syncs are never due; a sync already running is
 * skipped (the runner refuses overlapping runs); after a run the next slot is
 * stored, so a crash mid-run leaves the sync due and it resumes at start.
 */
export class SyncScheduler {
  private readonly store: SyncStore;
  private readonly runner: SyncRunner;
  private readonly clock: Clock;
  private readonly pollIntervalMs: number;
  private readonly log?: Logger;
  private loop: PollLoop | null = null;
  private pending = new Set<Promise<unknown>>();
  /** Syncs this scheduler started, until their next slot is stored. */
  private inFlight = new Set<string>();

  constructor(deps: SyncSchedulerDeps) {
    this.store = deps.store;
    this.runner = deps.runner;
    this.clock = deps.clock;
    this.pollIntervalMs = deps.pollIntervalMs ?? 15_000;
    this.log = deps.logger;
  }

  /** Recovers runs interrupted by a crash, then polls until `stop()`. */
  async start(): Promise<void> {
    if (this.loop) return;
    const recovered = await this.runner.recoverInterrupted();
    if (recovered.length) this.log?.warn('marked interrupted sync runs as failed', { syncIds: recovered });
    this.loop = new PollLoop({
      clock: this.clock,
      intervalMs: this.pollIntervalMs,
      pass: async () => void (await this.tick()),
      onError: (err) => this.log?.error('sync scheduler tick failed', { error: (err as Error).message }),
    });
    this.loop.start();
  }

  /** Look for due syncs now (e.g. right after a sync was created). */
  poke(): void {
    this.loop?.poke();
  }

  /** Stops polling and waits for the runs it started. */
  async stop(): Promise<void> {
    await this.loop?.stop();
    this.loop = null;
    await Promise.allSettled([...this.pending]);
  }

  /** Starts every due sync that is not already running; returns what it started. */
  async tick(): Promise<ScheduledRun[]> {
    const now = this.clock.now();
    const due = await this.store.listDueSyncs(now);
    // With leases (several processes), a sync left `running` by a dead process is
    // taken over once its lease expires, even when its next slot is not due.
    const orphans = this.runner.leased
      ? (await this.store.listSyncs()).filter((s) => s.state === 'running' && !due.some((d) => d.id === s.id))
      : [];
    const started: ScheduledRun[] = [];
    for (const sync of [...due, ...orphans]) {
      // Also skip one whose run ended but whose next slot is not stored yet: it would run twice.
      if (this.runner.isRunning(sync.id) || this.inFlight.has(sync.id)) continue;
      const scheduledAt = sync.nextRunAt;
      const isDue = due.includes(sync);
      const reschedule = () => (isDue ? this.reschedule(sync.id, scheduledAt) : Promise.resolve());
      // Leased: the next slot is stored before the run's lease is released, so no
      // other process finds the sync still due (see SyncRunner.start).
      const leased = this.runner.leased;
      let handle: { run: SyncRun; done: Promise<SyncRun> };
      try {
        // A sync's first run is the one the person who created it asked for: recorded as theirs, not the schedule's.
        handle = await this.runner.start(sync.id, sync.lastRun === null ? 'manual' : 'schedule', leased ? { afterRun: reschedule } : {});
      } catch (err) {
        if (err instanceof ServiceError) continue; // started elsewhere, paused or deleted meanwhile
        throw err;
      }
      this.inFlight.add(sync.id);
      const done = (leased ? handle.done : handle.done.finally(reschedule)).finally(() => this.inFlight.delete(sync.id));
      const tracked = done.catch(() => undefined);
      this.pending.add(tracked);
      void tracked.finally(() => this.pending.delete(tracked));
      started.push({ syncId: sync.id, run: handle.run, done });
    }
    return started;
  }

  private async reschedule(syncId: string, scheduledAt: Date | null): Promise<void> {
    const current = await this.store.getSync(syncId);
    if (!current) return;
    // Someone changed the schedule during the run (frequency patch): keep theirs.
    if ((current.nextRunAt?.getTime() ?? null) !== (scheduledAt?.getTime() ?? null)) return;
    const now = this.clock.now();
    await this.store.updateSync(syncId, { nextRunAt: nextRunAfter(current.frequency, scheduledAt, now), now });
  }
}
