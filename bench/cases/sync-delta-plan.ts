import { asDuckDBEventsEngine } from '../../src/storage/duckdb/duckdb-engine.js';
import { DuckDBSyncStore } from '../../src/storage/duckdb/sync-store.js';
import { planSync } from '../../src/services/syncs/sync-planner.js';
import { eager, planSyncPages } from '../../src/services/syncs/plan-stream.js';
import { percentile, type BenchContext, type CaseResult } from '../harness.js';
import { EXTRA, MEMBERS, openSyncBench, uidOf } from '../support/sync-1m.js';

export const name = 'sync-delta-plan';
export const description =
  'Delta planning of a 1,000,000-member cohort with 10,000 movers (5,000 leave by a `churned` event, 5,000 enter by ' +
  '`app_open`), after a full sync to an amplitude_list receiver in a child process (not timed). `planSync` is timed alone ' +
  '(median of 7, on the arrays the stores return), so are the reads it needs (members, acknowledged set; median of 5), and ' +
  'the delta run as a whole: its planning phase is run start → first request at the receiver, which also includes the ' +
  'freshness recompute of the cohort. Side by side in the same rounds: start → first batch ready with the whole plan (as before ' +
  'issue 15) and with the streamed plan the runner now uses.';

const RUNS = 7;
const median = (xs: number[]) => percentile(xs, 50);

async function timed<T>(fn: () => Promise<T> | T): Promise<{ ms: number; value: T }> {
  const t = performance.now();
  const value = await fn();
  return { ms: performance.now() - t, value };
}

export async function run(ctx: BenchContext): Promise<CaseResult> {
  const b = await openSyncBench(ctx, 'bench-sync-delta-plan');
  try {
    const cohort = await b.createCohort();
    if (cohort.size !== MEMBERS) throw new Error(`cohort has ${cohort.size} members, expected ${MEMBERS}`);
    const syncId = await b.createSync(cohort.id, 1000);
    const full = await b.runSync(syncId);
    if (full.status !== 'succeeded' || full.added !== MEMBERS) throw new Error(`full sync: ${JSON.stringify(full)}`);
    ctx.log(`full sync done (${full.added} added)`);

    // 10,000 movers: every 200th member churns, the 5,000 extra people open the app.
    const leavers = Array.from({ length: EXTRA }, (_, k) => uidOf(k * 200));
    const newcomers = Array.from({ length: EXTRA }, (_, k) => uidOf(MEMBERS + k));
    await b.ingest([
      ...leavers.map((userId) => ({ type: 'track', userId, event: 'churned' })),
      ...newcomers.map((userId) => ({ type: 'track', userId, event: 'app_open' })),
    ]);
    const refreshed = await b.api<any>('POST', `/v1/cohorts/${cohort.id}/refresh`);
    if (refreshed.status !== 200 || refreshed.body.size !== MEMBERS) throw new Error(`refresh: ${JSON.stringify(refreshed.body)}`);

    // The planner alone, on what the stores hand the runner.
    const membershipStore = b.k.engine.members;
    // The sync store is metadata, which Kohort does not hand out: this bench opens its own on the file.
    const syncStore = new DuckDBSyncStore((await asDuckDBEventsEngine(b.k.engine).database.connect()).raw);
    const readMembers = async () => {
      const out: string[] = [];
      for await (const page of membershipStore.streamMembers(cohort.id)) out.push(...page);
      return out;
    };
    const memberReads: number[] = [];
    const ackReads: number[] = [];
    let members: string[] = [];
    let acked: string[] = [];
    for (let i = 0; i < 5; i++) {
      const m = await timed(readMembers);
      const a = await timed(() => syncStore.acknowledged(syncId));
      memberReads.push(m.ms);
      ackReads.push(a.ms);
      members = m.value;
      acked = a.value;
    }
    const plans: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const p = await timed(() => planSync(members, acked));
      if (p.value.toAdd.length !== EXTRA || p.value.toRemove.length !== EXTRA) {
        throw new Error(`plan: ${p.value.toAdd.length} to add, ${p.value.toRemove.length} to remove`);
      }
      plans.push(p.ms);
    }
    // Start → first batch ready, side by side (5 interleaved rounds, no recompute): the whole plan first (before issue 15),
    // and the streamed plan (members and acknowledged ids merged as they are read, a batch cut at its 1,001st user).
    const BATCH = 1000;
    const wholeFirst: number[] = [];
    const streamedFirst: number[] = [];
    for (let i = 0; i < 5; i++) {
      const w = await timed(async () => planSync(await readMembers(), await syncStore.acknowledged(syncId)));
      if (w.value.toRemove.length !== EXTRA) throw new Error('whole plan');
      wholeFirst.push(w.ms);
      // Timed to the first batch found; the reads still under way are then let finish, untimed.
      const t0 = performance.now();
      const found = { add: 0, remove: 0 };
      const m = eager(membershipStore.streamMembers(cohort.id));
      const a = eager(syncStore.acknowledgedPages(syncId));
      for await (const step of planSyncPages(m, a)) {
        found.add += step.add.length;
        found.remove += step.remove.length;
        if (found.add > BATCH || found.remove > BATCH) break;
      }
      const st = { ms: performance.now() - t0, value: found };
      await Promise.all([m.close(), a.close()]);
      if (st.value.add <= BATCH && st.value.remove <= BATCH) throw new Error(`streamed plan found ${JSON.stringify(st.value)}`);
      streamedFirst.push(st.ms);
    }

    // The hash path (unsorted input), for comparison.
    const shuffled = [...acked].reverse();
    const hashed = await timed(() => planSync(members, shuffled));

    // The delta run as a whole.
    await b.receiver('POST', '/reset');
    const delta = await b.runSync(syncId);
    const st = await b.receiver('GET', '/stats');
    if (delta.status !== 'succeeded' || delta.added !== EXTRA || delta.removed !== EXTRA || delta.full || st.size !== MEMBERS) {
      throw new Error(`delta run ${JSON.stringify(delta)}; receiver ${JSON.stringify(st)}`);
    }
    const startedAt = Date.parse(delta.startedAt);
    const runMs = Date.parse(delta.finishedAt!) - startedAt;
    const planPhase = st.firstAt - startedAt;
    ctx.log(`planSync ${plans.map((x) => x.toFixed(0)).join(' ')} ms; delta run ${runMs} ms, ${planPhase} ms before its first request`);
    return {
      figures: [
        { label: `planSync, 1M members vs 1M acknowledged, 10k movers (median of ${RUNS})`, value: median(plans), unit: 'ms', target: 1000 },
        { label: 'planSync, slowest run', value: Math.max(...plans), unit: 'ms' },
        { label: 'planSync on unsorted input (hash path), one run', value: hashed.ms, unit: 'ms' },
        { label: 'read 1M members (median of 5)', value: median(memberReads), unit: 'ms' },
        { label: 'read 1M acknowledged (median of 5)', value: median(ackReads), unit: 'ms' },
        { label: 'first batch ready, whole plan as before: read members + acknowledged, planSync (median of 5)', value: median(wholeFirst), unit: 'ms' },
        { label: 'first batch ready, streamed plan (median of 5, same rounds)', value: median(streamedFirst), unit: 'ms' },
        { label: 'delta run: start → first request (recompute, streamed reads and plan)', value: planPhase, unit: 'ms', target: 500 },
        { label: 'delta run: whole run (10 requests)', value: runMs, unit: 'ms' },
      ],
      notes: [
        `planSync runs (ms): ${plans.map((x) => x.toFixed(1)).join(', ')}.`,
        `First batch ready (ms), whole plan: ${wholeFirst.map((x) => x.toFixed(0)).join(', ')}; streamed: ${streamedFirst.map((x) => x.toFixed(0)).join(', ')}.`,
        `Delta run ${delta.status}: ${delta.added} added, ${delta.removed} removed in ${delta.requests} requests; the receiver's list holds ${st.size} users.`,
        `The full sync before it (not timed here, see sync-full-1m) took ${(Date.parse(full.finishedAt!) - Date.parse(full.startedAt)) / 1000} s.`,
      ],
    };
  } finally {
    await b.close();
  }
}
