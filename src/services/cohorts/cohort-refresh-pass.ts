/**
 * A refresh pass: the cohorts a scheduler tick finds due, refreshed together.
 * Per cohort the steps are those of one computation (mark running, check
 * references, compile, recompute the members, record history and metadata,
 * tell the workflow hook); here each step is done once for all of them where
 * the ports allow: one metadata read, one transaction marking them running,
 * one membership pass (`MembershipStore.refreshMany`: the store shares the read
 * of who changed and the candidates' rows), one transaction recording every
 * history row and record. A cohort whose definition or references fail fails
 * alone, as it would when computed by itself.
 */
import type { Cohort } from '../../schemas/cohort.js';
import type { CohortStore, HistoryEntry } from '../../storage/cohort-store.js';
import type { MembershipStore, RefreshItem } from '../../storage/membership-store.js';

export interface PassDeps {
  store: CohortStore;
  members: MembershipStore;
  /** Every cohort by id, read now. */
  snapshot(): Promise<Map<string, Cohort>>;
  /** Throws when the cohort may no longer be computed (a reference its owner cannot see). */
  check(c: Cohort, byId: Map<string, Cohort>): Promise<void>;
  /** What the membership store needs to refresh the cohort as of `asOf`. */
  itemFor(c: Cohort, byId: Map<string, Cohort>, asOf: Date): RefreshItem;
  /** One cohort computed alone (static lists: their size is counted, nothing recomputed). */
  single(id: string, asOf: Date): Promise<Cohort>;
  membershipChanged(id: string): Promise<void>;
  log(msg: string, err?: unknown): void;
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));
const asError = (err: unknown) => (err instanceof Error ? err : new Error(String(err)));

/** Refreshes `ids` as of `asOf`; per id, the cohort as it is afterwards or the error that failed it. */
export async function runRefreshPass(deps: PassDeps, ids: string[], asOf: Date): Promise<Map<string, Cohort | Error>> {
  const out = new Map<string, Cohort | Error>();
  const started = Date.now();
  const byId = await deps.snapshot();
  const dynamic: Cohort[] = [];
  for (const id of ids) {
    const c = byId.get(id);
    if (!c) out.set(id, new Error(`cohort ${id} does not exist`));
    else if (c.kind === 'dynamic') dynamic.push(c);
    else out.set(id, await deps.single(id, asOf).catch(asError));
  }
  if (!dynamic.length) return out;
  await deps.store.updateMany(dynamic.map((c) => ({ ...c, calculation: { ...c.calculation, state: 'running' } })));
  try {
    return await refreshMarked(deps, dynamic, byId, asOf, started, out);
  } catch (err) {
    // Never leave them `running` (the scheduler would skip them until a restart).
    const failed = dynamic.map((c) => ({ ...c, calculation: { state: 'failed' as const, lastError: message(err), lastDurationMs: Date.now() - started } }));
    await deps.store.updateMany(failed).catch(() => undefined);
    throw err;
  }
}

async function refreshMarked(
  deps: PassDeps,
  dynamic: Cohort[],
  byId: Map<string, Cohort>,
  asOf: Date,
  started: number,
  out: Map<string, Cohort | Error>,
): Promise<Map<string, Cohort | Error>> {

  const failures = new Map<string, unknown>();
  const items: RefreshItem[] = [];
  for (const c of dynamic) {
    try {
      await deps.check(c, byId);
      items.push(deps.itemFor(c, byId, asOf));
    } catch (err) {
      failures.set(c.id, err);
    }
  }
  const prepared = Date.now() - started;
  const outcomes = await deps.members.refreshMany(items).catch((err: unknown) => items.map(() => ({ ok: false as const, error: asError(err) })));

  // Read again: a rename or patch made meanwhile is kept; only the computation's fields are set.
  const fresh = await deps.snapshot();
  const ended: { cohort: Cohort; entry?: HistoryEntry }[] = [];
  const done = new Set<string>();
  items.forEach((item, k) => {
    const o = outcomes[k];
    if (!o.ok) return void failures.set(item.cohortId, o.error);
    const c = fresh.get(item.cohortId) ?? byId.get(item.cohortId)!;
    // A cohort's time: its share of the pass (the store splits shared work evenly) and of the preparation.
    const ms = Math.max(0, Math.round(o.ms + prepared / dynamic.length));
    const { reevaluated: _, ...r } = o.result;
    ended.push({
      cohort: { ...c, size: r.size, computedAt: asOf.toISOString(), calculation: { state: 'idle', lastError: null, lastDurationMs: ms } },
      entry: { computedAt: asOf.toISOString(), ...r, durationMs: ms },
    });
    done.add(c.id);
  });
  for (const [id, err] of failures) {
    // The last good membership stays; the error says why this one failed.
    const c = fresh.get(id) ?? byId.get(id)!;
    ended.push({ cohort: { ...c, calculation: { state: 'failed', lastError: message(err), lastDurationMs: Date.now() - started } } });
    deps.log(`cohort ${id} computation failed`, err);
  }
  try {
    // History follows the member sets it describes; a crash before this loses these rows, never members.
    await deps.store.recordComputations(ended);
  } catch (err) {
    deps.log('recording a refresh pass failed', err);
    for (const c of dynamic) out.set(c.id, asError(err));
    const failed = dynamic.map((c) => ({ ...(fresh.get(c.id) ?? c), calculation: { state: 'failed' as const, lastError: message(err), lastDurationMs: Date.now() - started } }));
    await deps.store.updateMany(failed).catch(() => undefined);
    return out;
  }
  for (const e of ended) {
    out.set(e.cohort.id, done.has(e.cohort.id) ? e.cohort : asError(failures.get(e.cohort.id)));
    if (done.has(e.cohort.id)) await deps.membershipChanged(e.cohort.id);
  }
  return out;
}
