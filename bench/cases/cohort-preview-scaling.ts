import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchContext, CaseResult, Figure } from '../harness.js';
import { median, openReadOnlyStore, runSuite, storeNotes, SUITE } from './cohort-preview.js';
import { data2m } from './cohort-preview-2m.js';
import { data20m, parseSeedOutput, seedInto, upgrade, type SeedReport } from './seed-20m.js';

export const name = 'cohort-preview-scaling';
export const description =
  'How cohort preview cost grows with the data: the 13 definitions of the cohort-preview case, compiled and run as there ' +
  '(READ_ONLY store, hot columns and summaries of the file, `preview(q, 20)`, one warm-up round then medians), on the seeded ' +
  'stores of 2M events / 100k users (`.tmp/bench-2m`), 20M / 1M (`.tmp/bench-20m`) and 100M / 5M (`.tmp/bench-100m`, seeded by ' +
  'this case when missing with `KOHORT_MEMORY_LIMIT` = 10GiB or `KOHORT_BENCH_100M_MEMORY`; its seed time and peak RSS are kept ' +
  'beside it and reported). The sizes run one after the other (one store open at a time). Linear growth is a ratio of 10 from 2M ' +
  'to 20M and 5 from 20M to 100M: the targets of the ratio rows.';

const ROUNDS = 5;
export const SEED_100M_ARGS = ['--users', '5000000', '--events', '100000000', '--days', '1460', '--seed', '1'];
const SEED_100M_LIMIT_MIB = 24 * 1024; // issue 15: a 100M-event seed runs within 24 GiB

interface Seed100m extends SeedReport {
  ms: number;
  memoryLimit: string;
  at: string;
}

/** The 100M-event store, seeded (timed, and its report kept beside it) when missing. */
export async function data100m(ctx: BenchContext): Promise<{ dir: string; seed?: Seed100m }> {
  const dir = join(ctx.tmp, 'bench-100m');
  const reportFile = `${dir}.seed.json`;
  if (!existsSync(join(dir, 'kohort.duckdb'))) {
    const memoryLimit = process.env.KOHORT_BENCH_100M_MEMORY ?? '10GiB';
    ctx.log(`seeding ${dir} (${SEED_100M_ARGS.join(' ')}, KOHORT_MEMORY_LIMIT=${memoryLimit}); this takes a while`);
    const { ms, output } = await seedInto(ctx, dir, SEED_100M_ARGS, { KOHORT_MEMORY_LIMIT: memoryLimit });
    const report: Seed100m = { ...parseSeedOutput(output), ms, memoryLimit, at: new Date().toISOString() };
    writeFileSync(reportFile, JSON.stringify(report, null, 2));
  }
  await upgrade(ctx, join(dir, 'kohort.duckdb'));
  return { dir, seed: existsSync(reportFile) ? (JSON.parse(readFileSync(reportFile, 'utf8')) as Seed100m) : undefined };
}

interface SizeRun {
  label: string;
  medians: number[];
  sizes: number[];
  notes: string[];
}

async function runAt(ctx: BenchContext, label: string, dir: string): Promise<SizeRun> {
  ctx.log(`${label}: ${dir}`);
  const ro = await openReadOnlyStore(join(dir, 'kohort.duckdb'));
  try {
    const r = await runSuite(ctx, ro, ROUNDS);
    return { label, medians: r.times.map(median), sizes: r.sizes, notes: storeNotes(ro).map((n) => `${label}: ${n}`) };
  } finally {
    ro.close();
  }
}

const r1 = (x: number) => Math.round(x * 10) / 10;
const r2 = (x: number) => Math.round(x * 100) / 100;
const fmt = (n: number) => n.toLocaleString('en-US');

export async function run(ctx: BenchContext): Promise<CaseResult> {
  const big = await data100m(ctx); // first: the seed is the long part, and nothing else runs meanwhile
  const runs = [
    await runAt(ctx, '2M', await data2m(ctx)),
    await runAt(ctx, '20M', await data20m(ctx)),
    await runAt(ctx, '100M', big.dir),
  ];
  const [s, m, l] = runs;
  const total = (r: SizeRun) => r.medians.reduce((a, b) => a + b, 0);
  const figures: Figure[] = [];
  if (big.seed) {
    figures.push(
      { label: `100M seed, end to end (KOHORT_MEMORY_LIMIT=${big.seed.memoryLimit})`, value: r1(big.seed.ms / 1000), unit: 's' },
      { label: '100M seed, peak memory (RSS) of the seed process', value: big.seed.peakMiB, unit: 'MiB', target: SEED_100M_LIMIT_MIB },
    );
    if (big.seed.cpuS !== undefined) figures.push({ label: '100M seed, CPU time (all threads)', value: big.seed.cpuS, unit: 's' });
  }
  figures.push(
    { label: '100M database file', value: Math.round(statSync(join(big.dir, 'kohort.duckdb')).size / 2 ** 20), unit: 'MiB' },
    { label: 'sum of the 13 medians at 2M', value: r1(total(s)), unit: 'ms' },
    { label: 'sum of the 13 medians at 20M', value: r1(total(m)), unit: 'ms' },
    { label: 'sum of the 13 medians at 100M', value: r1(total(l)), unit: 'ms' },
    { label: 'sum of medians, 20M / 2M (data x10)', value: r2(total(m) / total(s)), unit: 'x', target: 10 },
    { label: 'sum of medians, 100M / 20M (data x5)', value: r2(total(l) / total(m)), unit: 'x', target: 5 },
    ...SUITE.flatMap((d, i) => [
      { label: `${d.label}: 20M / 2M`, value: r2(m.medians[i] / s.medians[i]), unit: 'x', target: 10 },
      { label: `${d.label}: 100M / 20M`, value: r2(l.medians[i] / m.medians[i]), unit: 'x', target: 5 },
    ]),
  );
  return {
    figures,
    notes: [
      `${ROUNDS} timed rounds after one warm-up round per size; medians (ms) at 2M / 20M / 100M, and cohort sizes:`,
      ...SUITE.map(
        (d, i) =>
          `${d.label}: ${runs.map((r) => r1(r.medians[i])).join(' / ')} ms; sizes ${runs.map((r) => fmt(r.sizes[i])).join(' / ')}`,
      ),
      ...runs.flatMap((r) => r.notes),
      ...(big.seed ? [`100M seed (${big.seed.at}): ${fmt(big.seed.users)} users, ${fmt(big.seed.events)} events, load ${big.seed.loadS} s, reorganize ${big.seed.reorganizeS} s.`] : []),
    ],
  };
}
