import type { Cohort } from '../../schemas/cohort.js';
import type { LeaseKeeper } from '../job-lease.js';
import type { CohortService } from './cohort-service.js';

const PERIOD_MS = { hourly: 3_600_000, daily: 86_400_000 } as const;

/** Due: refreshed on a schedule, not archived, and its last computation is a period old (or missing). */
export function isDue(c: Cohort, now: Date): boolean {
  if (c.kind !== 'dynamic' || c.refresh === 'manual' || c.status === 'archived') return false;
  if (c.calculation.state === 'running') return false;
  if (!c.computedAt) return true;
  return now.getTime() - Date.parse(c.computedAt) >= PERIOD_MS[c.refresh];
}

/**
 * Keeps saved cohorts current. Each tick computes the cohorts that are due,
 * one at a time (computations compete for the same cores). A cohort missed
 * while the server was down is due once at start, not once per missed slot.
 */
export function createCohortScheduler(
  cohorts: CohortService,
  opts: {
    now?: () => Date;
    tickMs?: number;
    log?: (m: string, e?: unknown) => void;
    /** Several processes on one store: a refresh holds the lease `cohort:<id>`, so it runs once. */
    leases?: LeaseKeeper;
  } = {},
) {
  const now = opts.now ?? (() => new Date());
  let timer: NodeJS.Timeout | undefined;
  let ticking: Promise<void> | undefined;

  async function tick(): Promise<string[]> {
    const due = (await cohorts.all()).filter((c) => isDue(c, now()));
    const done: string[] = [];
    for (const c of due) {
      const lease = opts.leases ? await opts.leases.hold(`cohort:${c.id}`) : null;
      if (opts.leases && !lease) continue; // another process is refreshing it
      try {
        // Under the lease, look again: another process may have refreshed it since the list was read.
        if (lease && !isDue(await cohorts.get(c.id), now())) continue;
        await cohorts.compute(c.id);
        done.push(c.id);
      } catch (err) {
        opts.log?.(`scheduled refresh of cohort ${c.id} failed`, err);
      } finally {
        await lease?.release().catch((err) => opts.log?.(`could not release the lease of cohort ${c.id}`, err));
      }
    }
    return done;
  }

  return {
    tick,
    start() {
      timer = setInterval(() => {
        ticking ??= tick().then(() => undefined).finally(() => (ticking = undefined));
      }, opts.tickMs ?? 30_000);
      timer.unref();
      ticking = tick().then(() => undefined).finally(() => (ticking = undefined));
    },
    async stop() {
      if (timer) clearInterval(timer);
      await ticking?.catch(() => undefined);
    },
  };
}
