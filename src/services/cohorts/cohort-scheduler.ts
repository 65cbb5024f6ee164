import type { Cohort } from '../../schemas/cohort.js';
import type { HeldLease, LeaseKeeper } from '../job-lease.js';
import type { CohortService } from './cohort-service.js';

const PERIOD_MS = { hourly: 3_600_000, daily: 86_400_000 } as const;

/** Due: refreshed on a schedule, not archived, and its last computation is a period old (or missing). */
export function isDue(c: Cohort, now: Date): boolean {
  if (c.kind !== 'dynamic' || c.refresh === 'manual' || c.status === 'archived') return false;
  if (c.calculation.state === 'running') return false;
  if (!c.computedAt) return true;
  return now.getTime() - Date.parse(c.computedAt) >= PERIOD_MS[c.refresh];
}

/** Cohorts refreshed in one pass at most (one membership transaction; the rest wait for the next pass of the tick). */
const PASS_SIZE = 100;

/**
 * Keeps saved cohorts current. Each tick refreshes the cohorts that are due in
 * passes (cohort-refresh-pass.ts): a pass shares the store's read of who
 * changed, the candidates' rows and the metadata writes between its cohorts.
 * A cohort missed while the server was down is due once at start, not once
 * per missed slot.
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

  async function pass(due: Cohort[]): Promise<string[]> {
    const held: { id: string; lease: HeldLease | null }[] = [];
    const done: string[] = [];
    try {
      for (const c of due) {
        const lease = opts.leases ? await opts.leases.hold(`cohort:${c.id}`) : null;
        if (opts.leases && !lease) continue; // another process is refreshing it
        held.push({ id: c.id, lease });
      }
      if (!held.length) return done;
      // Under the leases, look again: another process may have refreshed some since the list was read.
      const current = opts.leases ? new Map((await cohorts.all()).map((c) => [c.id, c])) : null;
      const ids = held.map((h) => h.id).filter((id) => !current || (current.has(id) && isDue(current.get(id)!, now())));
      if (!ids.length) return done;
      for (const [id, r] of await cohorts.refreshMany(ids)) {
        if (r instanceof Error) opts.log?.(`scheduled refresh of cohort ${id} failed`, r);
        else done.push(id);
      }
    } catch (err) {
      opts.log?.('a scheduled refresh pass failed', err);
    } finally {
      for (const h of held) await h.lease?.release().catch((err) => opts.log?.(`could not release the lease of cohort ${h.id}`, err));
    }
    return done;
  }

  async function tick(): Promise<string[]> {
    const due = (await cohorts.all()).filter((c) => isDue(c, now()));
    const done: string[] = [];
    for (let i = 0; i < due.length; i += PASS_SIZE) done.push(...(await pass(due.slice(i, i + PASS_SIZE))));
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
