import type { BenchContext, CaseResult } from '../harness.js';
import { MEMBERS, openSyncBench } from '../support/sync-1m.js';

export const name = 'sync-full-1m';
export const description =
  'First (full) sync of a 1,000,000-member dynamic cohort to an amplitude_list receiver in a child process on loopback ' +
  '(answers at once, keeps the list as a set), batches of 1,000, 4 in flight. The store (1,005,000 people, bulk loaded) and ' +
  'the composition root run in the benchmark process; the run is started with `POST /v1/syncs/:id/run` and timed by its own ' +
  'record (startedAt → finishedAt), which includes the freshness recompute of the cohort, reading members and the ' +
  'acknowledged set, planning, sending and committing each batch. Seeding is not timed.';

const BATCH = 1000;

export async function run(ctx: BenchContext): Promise<CaseResult> {
  const b = await openSyncBench(ctx, 'bench-sync-full-1m');
  try {
    const cohort = await b.createCohort();
    if (cohort.size !== MEMBERS) throw new Error(`cohort has ${cohort.size} members, expected ${MEMBERS}`);
    const syncId = await b.createSync(cohort.id, BATCH);
    await b.receiver('POST', '/reset');
    const cpu0 = process.cpuUsage();
    const wall0 = performance.now();
    const r = await b.runSync(syncId);
    const wallMs = performance.now() - wall0;
    const cpu = process.cpuUsage(cpu0);
    const st = await b.receiver('GET', '/stats');
    if (r.status !== 'succeeded' || r.added !== MEMBERS || st.size !== MEMBERS || st.added !== MEMBERS) {
      throw new Error(`run ${JSON.stringify(r)}; receiver ${JSON.stringify(st)}`);
    }
    const startedAt = Date.parse(r.startedAt);
    const runMs = Date.parse(r.finishedAt!) - startedAt;
    const sendMs = st.lastAt - st.firstAt;
    ctx.log(`run ${runMs} ms (before the first request ${st.firstAt - startedAt} ms, sending ${sendMs} ms), ${r.requests} requests`);
    return {
      figures: [
        { label: 'full sync throughput (members / run time)', value: Math.round(MEMBERS / (runMs / 1000)), unit: 'users/s', target: 50_000, better: 'higher' },
        { label: 'run time (startedAt → finishedAt)', value: runMs / 1000, unit: 's' },
        { label: 'before the first request (recompute, read members and acknowledged, plan)', value: (st.firstAt - startedAt) / 1000, unit: 's' },
        { label: 'sending (first → last request at the receiver)', value: sendMs / 1000, unit: 's' },
        { label: 'sending throughput', value: Math.round(MEMBERS / (sendMs / 1000)), unit: 'users/s' },
        { label: 'requests', value: r.requests, unit: 'requests' },
        { label: 'server-side CPU during the run (benchmark process)', value: (cpu.user + cpu.system) / 1e6, unit: 's' },
      ],
      notes: [
        `Run ${r.status}: ${r.added} added, ${r.failed} failed, ${r.retries} retries; the receiver holds ${st.size} distinct users from ${st.requests} requests.`,
        `Wall time from POST to the finished run seen by polling (100 ms): ${(wallMs / 1000).toFixed(2)} s.`,
      ],
    };
  } finally {
    await b.close();
  }
}
