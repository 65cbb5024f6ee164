import type { BenchContext, CaseResult, Figure } from '../harness.js';
import { benchServers, countEvents, freshTargets } from '../support/clickhouse-bench-stores.js';
import { ingestTwoServers, type ServerSource } from '../support/clickhouse-ingest.js';
import { serverCpu } from '../support/server-cpu.js';
import { median } from './cohort-preview.js';

export const name = 'clickhouse-ingest';
export const description =
  'HTTP ingestion into ClickHouse without the 2M seed (the ingestion part of clickhouse-2m on empty databases): two ' +
  '`kohort serve` processes on a fresh PostgreSQL database and a fresh ClickHouse database take Segment `/v1/batch` ' +
  'requests of 500 tracks (distinct messageIds, 50k users) from two load generator processes, connections split ' +
  'between them; stored rows are counted in ClickHouse and compared with the acknowledged events. The CPU of the two ' +
  'serving processes, of PostgreSQL (postmaster and backends) and of ClickHouse is read from /proc over the load. ' +
  'Needs KOHORT_BENCH_CLICKHOUSE_URL and KOHORT_BENCH_DATABASE_URL (or the KOHORT_TEST_ ones). ' +
  'BENCH_BASELINE_ROOT=<another checkout> runs that checkout\'s servers too, alternating with this one (same load, same ' +
  'run), and reports both; BENCH_PROFILE=1 writes CPU profiles of the servers into .tmp/prof-clickhouse-ingest/; ' +
  'BENCH_SERVER_NODE_FLAGS adds node flags to both.';

const SECONDS = Number(process.env.BENCH_HTTP_SECONDS ?? 20);
const CONNECTIONS = Number(process.env.BENCH_HTTP_CONNECTIONS ?? 8);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 1);
const BATCH = 500;
const INGEST_TARGET = 50_000;

interface Measured {
  eventsPerSecond: number;
  p50: number;
  p99: number;
  kohortMsPer1k: number;
  pgMsPer1k?: number;
  chMsPer1k?: number;
  equal: boolean;
  note: string;
}

/**
 * One measurement on fresh databases; they are dropped only after all rounds (`drops`), because
 * dropping a database deletes thousands of part files at once, which made the file system
 * slower for ClickHouse's next inserts (ext4 skips recently freed inodes when it allocates).
 */
async function once(ctx: BenchContext, server: ServerSource, label: string, drops: (() => Promise<void>)[]): Promise<Measured> {
  const servers = benchServers()!;
  const targets = await freshTargets(servers);
  drops.push(() => targets.drop().catch((err) => ctx.log(`could not drop the bench databases: ${String(err)}`)));
  const cpu = { value: undefined as Awaited<ReturnType<typeof serverCpu>> | undefined };
  const ingest = await ingestTwoServers({
    tmp: ctx.tmp,
    databaseUrl: targets.databaseUrl,
    eventsUrl: targets.eventsUrl,
    seconds: SECONDS,
    connections: CONNECTIONS,
    batch: BATCH,
    countRows: async () => {
      // Called right before and right after the load: the database servers' CPU is read over the same span.
      const n = await countEvents(targets.eventsUrl);
      cpu.value ??= await serverCpu(servers.databaseUrl, servers.clickhouseUrl);
      return n;
    },
    log: ctx.log,
    server,
  });
  const db = cpu.value?.read() ?? {};
  const perK = (s: number | undefined) => (s === undefined ? undefined : round1((1000 * s) / (ingest.acknowledged / 1000)));
  const kohort = ingest.serverCpu.reduce((a, b) => a + b, 0);
  const m: Measured = {
    eventsPerSecond: ingest.eventsPerSecond,
    p50: round1(ingest.p50),
    p99: round1(ingest.p99),
    kohortMsPer1k: perK(kohort)!,
    pgMsPer1k: perK(db.postgres),
    chMsPer1k: perK(db.clickhouse),
    equal: ingest.rowsAdded === ingest.acknowledged,
    note:
      `${label}: ${ingest.requests} requests (${ingest.failures} failed) over ${CONNECTIONS} connections in ${ingest.seconds.toFixed(1)} s; ` +
      `${ingest.acknowledged} events acknowledged (${ingest.perServer.join(' + ')}), ${ingest.rowsAdded} rows added to ClickHouse; ` +
      `CPU s: Kohort ${ingest.serverCpu.map((c) => c.toFixed(1)).join(' + ')} (kernel ${ingest.serverSystemCpu.map((c) => c.toFixed(1)).join(' + ')}), load generators ${ingest.generatorCpu.toFixed(1)}, ` +
      `PostgreSQL ${db.postgres?.toFixed(1) ?? '?'}, ClickHouse ${db.clickhouse?.toFixed(1) ?? '?'}` +
      (ingest.errors.length ? `; errors: ${ingest.errors.join(' | ')}` : ''),
  };
  ctx.log(m.note);
  if (!m.equal) throw new Error(`${label}: stored ${ingest.rowsAdded} rows but acknowledged ${ingest.acknowledged}`);
  return m;
}

function figures(runs: Measured[], prefix: string, target: boolean): Figure[] {
  const pick = (f: (m: Measured) => number | undefined) => {
    const xs = runs.map(f).filter((x): x is number => x !== undefined);
    return xs.length ? round1(median(xs)) : NaN;
  };
  return [
    {
      label: `${prefix}HTTP ingestion, two \`kohort serve\` processes (acknowledged events / wall time)`,
      value: pick((m) => m.eventsPerSecond),
      unit: 'events/s',
      ...(target ? { target: INGEST_TARGET, better: 'higher' as const } : {}),
    },
    { label: `${prefix}request latency p50 (500 events)`, value: pick((m) => m.p50), unit: 'ms' },
    { label: `${prefix}request latency p99 (500 events)`, value: pick((m) => m.p99), unit: 'ms' },
    { label: `${prefix}Kohort server CPU per 1,000 events (both processes)`, value: pick((m) => m.kohortMsPer1k), unit: 'ms' },
    { label: `${prefix}PostgreSQL CPU per 1,000 events`, value: pick((m) => m.pgMsPer1k), unit: 'ms' },
    { label: `${prefix}ClickHouse CPU per 1,000 events`, value: pick((m) => m.chMsPer1k), unit: 'ms' },
    { label: `${prefix}rows added to ClickHouse equal acknowledged events`, value: runs.every((m) => m.equal) ? 1 : 0, unit: 'yes = 1' },
  ];
}

export async function run(ctx: BenchContext): Promise<CaseResult> {
  if (!benchServers()) {
    const why = 'skipped: set KOHORT_BENCH_CLICKHOUSE_URL and KOHORT_BENCH_DATABASE_URL (or KOHORT_TEST_CLICKHOUSE_URL and KOHORT_TEST_DATABASE_URL)';
    ctx.log(why);
    return { skipped: why, figures: [] };
  }
  const profile = [
    ...(process.env.BENCH_PROFILE === '1' ? ['--cpu-prof', `--cpu-prof-dir=${ctx.tmp}/prof-clickhouse-ingest`] : []),
    ...(process.env.BENCH_SERVER_NODE_FLAGS?.split(' ').filter(Boolean) ?? []),
  ];
  const baseline = process.env.BENCH_BASELINE_ROOT;
  const current: Measured[] = [];
  const before: Measured[] = [];
  const drops: (() => Promise<void>)[] = [];
  try {
    for (let r = 0; r < ROUNDS; r++) {
      // Alternating, and in the other order every other round, so both see the same drift of the machine.
      const mine = async () => current.push(await once(ctx, { nodeFlags: profile }, `round ${r + 1} this checkout`, drops));
      const theirs = async () => {
        if (baseline) before.push(await once(ctx, { root: baseline, nodeFlags: profile }, `round ${r + 1} baseline (${baseline})`, drops));
      };
      if (r % 2 === 0) await theirs().then(mine);
      else await mine().then(theirs);
    }
  } finally {
    for (const drop of drops) await drop();
  }
  const out = figures(current, '', true);
  if (baseline) out.push(...figures(before, 'baseline: ', false));
  const notes = [
    `${ROUNDS} round(s) of ${SECONDS} s each${baseline ? ', baseline and this checkout alternating (baseline first in odd rounds, second in even ones)' : ''}; figures are medians over rounds (the mean of the middle two for an even count).`,
    ...(baseline ? before.map((m) => m.note) : []),
    ...current.map((m) => m.note),
  ];
  return { figures: out, notes };
}

const round1 = (x: number) => Math.round(x * 10) / 10;
