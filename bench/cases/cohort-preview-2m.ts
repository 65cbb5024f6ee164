import { existsSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { compileDefinition } from '../../src/cohort/cohort-compiler.js';
import { upgrade } from './seed-20m.js';
import type { BenchContext, CaseResult } from '../harness.js';
import { runCli } from '../support/processes.js';
import { BRIEF, handWritten, handWrittenTyped, median, openReadOnlyStore, previewRounds, resolveSaved, TYPED_SORTED_TABLE } from './cohort-preview.js';

export const name = 'cohort-preview-2m';
export const description =
  'The brief example at 2M events / 100k users (`kohort seed --users 100000 --events 2000000 --days 1460 --seed 1`, kept in ' +
  '`.tmp/bench-2m/`, seeded untimed when missing), compiled as the server compiles it (hot property columns of the file as ' +
  '`materialized`) and run through the cohort store\'s `preview(q, 20)` (the SQL behind `POST /v1/cohorts/preview`), against ' +
  'the best hand-written SQL: over the store, and over a typed table of the same events sorted by (event, ts) built untimed ' +
  'in the same process. Round-robin, one warm-up round, medians.';

const ROUNDS = 15;

export async function data2m(ctx: BenchContext): Promise<string> {
  const dir = join(ctx.tmp, 'bench-2m');
  if (existsSync(join(dir, 'kohort.duckdb'))) {
    await upgrade(ctx, join(dir, 'kohort.duckdb'));
    return dir;
  }
  const next = `${dir}.next`;
  rmSync(next, { recursive: true, force: true });
  await runCli(['seed', '--users', '100000', '--events', '2000000', '--days', '1460', '--seed', '1'], { KOHORT_DATA_DIR: next }, ctx.log);
  rmSync(dir, { recursive: true, force: true });
  renameSync(next, dir);
  return dir;
}

export async function run(ctx: BenchContext): Promise<CaseResult> {
  const dir = await data2m(ctx);
  const ro = await openReadOnlyStore(join(dir, 'kohort.duckdb'));
  try {
    await ro.run(TYPED_SORTED_TABLE);
    const asOf = new Date();
    const items = [
      { label: 'brief example, compiled', q: compileDefinition(BRIEF, { asOf, resolveCohort: resolveSaved, materialized: ro.materialized }) },
      ...[handWrittenTyped(asOf), ...handWritten(asOf, ro.materialized)].map((h) => ({ label: `hand-written: ${h.label}`, q: h.q })),
    ];
    const { times, sizes } = await previewRounds(ctx, items.map((it) => ({ ...it, store: ro.store })), ROUNDS);
    const med = times.map(median);
    const hands = med.slice(1);
    const best = Math.min(...hands);
    const bestLabel = items[1 + hands.indexOf(best)].label.replace('hand-written: ', '');
    return {
      figures: [
        { label: 'brief example, compiled, preview median', value: Math.round(med[0] * 10) / 10, unit: 'ms' },
        { label: `brief example, best hand-written SQL (${bestLabel}), same preview, median`, value: Math.round(best * 10) / 10, unit: 'ms' },
        { label: 'brief example, compiled / best hand-written', value: Math.round((med[0] / best) * 1000) / 1000, unit: 'x', target: 1.5 },
      ],
      notes: [
        `Hot property columns of the file: ${ro.materialized.map((m) => m.path.join('.')).join(', ') || 'none'}.`,
        `${ROUNDS} timed rounds after one warm-up round; samples (ms) and sizes:`,
        ...items.map((it, i) => `${it.label}: size ${sizes[i].toLocaleString('en-US')}; ${times[i].map((t) => t.toFixed(0)).join(', ')}`),
      ],
    };
  } finally {
    ro.close();
  }
}
