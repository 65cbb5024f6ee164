import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { compileFunnel, compileRetention, compileSegmentation, type CompiledChart } from '../../src/analytics/analytics-compiler.js';
import type { CohortResolver } from '../../src/cohort/cohort-references.js';
import { funnelRequestSchema, retentionRequestSchema, segmentationRequestSchema } from '../../src/schemas/analytics.js';
import type { Definition } from '../../src/schemas/definition.js';
import { createDuckDBAnalyticsReads } from '../../src/storage/duckdb/analytics-reads.js';
import { ReadPool, SerialConnection } from '../../src/storage/duckdb/database.js';
import { HotColumns } from '../../src/storage/duckdb/hot-columns.js';
import type { BenchContext, CaseResult } from '../harness.js';
import { BRIEF, def, median } from './cohort-preview.js';
import { data20m } from './seed-20m.js';

export const name = 'analytics-charts';
export const description =
  'Charts segmented by cohort on the 20M-event / 1M-user seeded store (`.tmp/bench-20m`), opened READ_ONLY in this process: ' +
  'each request is compiled by the analytics compiler (asOf = now, with the hot property columns, as the server does) and run ' +
  'through the DuckDB analytics reads (the SQL behind `POST /v1/analytics/*`), with two saved dynamic cohorts as segments ' +
  '(the brief example and "plan is pro"). Charts run round-robin (one warm-up round, then the timed rounds); figures are medians.';

const ROUNDS = 7;
const TARGET_MS = 1000;
const DAY = 86_400_000;

const SAVED: Record<string, Definition> = { brief: BRIEF, pro: def({ match: 'all', rules: [{ type: 'property', property: 'plan', op: 'eq', value: 'pro' }] }) };
const resolveCohort: CohortResolver = (id) => (SAVED[id] ? { kind: 'dynamic', definition: SAVED[id] } : undefined);
const segments = [{ cohortId: 'brief' }, { cohortId: 'pro' }];
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export async function run(ctx: BenchContext): Promise<CaseResult> {
  const dir = await data20m(ctx);
  const instance = await DuckDBInstance.create(join(dir, 'kohort.duckdb'), { access_mode: 'READ_ONLY' });
  const conn = new SerialConnection(await instance.connect());
  const pool = new ReadPool([conn]);
  try {
    const reads = createDuckDBAnalyticsReads(pool);
    const materialized = (await HotColumns.load(conn.raw)).materialized();
    const now = Date.now();
    const c = { asOf: new Date(now), resolveCohort, materialized };
    const charts: { label: string; q: CompiledChart<unknown> }[] = [
      {
        label: 'segmentation: uniques of view by week over a year, two cohort segments',
        q: compileSegmentation(segmentationRequestSchema.parse({ event: { event: 'view' }, measure: 'uniques', interval: 'week', from: day(now - 365 * DAY), to: day(now + DAY), segments }), c),
      },
      {
        label: 'funnel: view -> cart -> purchase, 7-day window, last 90 days, two cohort segments',
        q: compileFunnel(
          funnelRequestSchema.parse({ steps: [{ event: 'view' }, { event: 'cart' }, { event: 'purchase' }], conversionWindow: { amount: 7, unit: 'day' }, from: day(now - 90 * DAY), to: day(now + DAY), segments }),
          c,
        ),
      },
      {
        label: 'retention: view then purchase, 8 weekly periods, starts in 8 weeks, two cohort segments',
        q: compileRetention(
          retentionRequestSchema.parse({ start: { event: 'view' }, return: { event: 'purchase' }, period: 'week', periods: 8, from: day(now - 16 * 7 * DAY), to: day(now - 8 * 7 * DAY), segments }),
          c,
        ),
      },
    ];
    const times = charts.map(() => [] as number[]);
    const answers = charts.map(() => '');
    for (let round = 0; round <= ROUNDS; round++) {
      for (const [i, ch] of charts.entries()) {
        const t0 = performance.now();
        const out = JSON.stringify(ch.q.decode(await reads.rows(ch.q)));
        const ms = performance.now() - t0;
        if (answers[i] && answers[i] !== out) throw new Error(`${ch.label}: the answer changed between rounds`);
        answers[i] = out;
        if (round > 0) times[i].push(ms);
      }
      ctx.log(`round ${round}/${ROUNDS} done`);
    }
    return {
      figures: charts.map((ch, i) => ({ label: `${ch.label}, median`, value: Math.round(median(times[i]) * 10) / 10, unit: 'ms', target: TARGET_MS })),
      notes: [
        `Hot property columns of the file: ${materialized.map((m) => m.path.join('.')).join(', ') || 'none'}.`,
        ...charts.map((ch, i) => `${ch.label}: ${times[i].map((t) => t.toFixed(0)).join(', ')} ms; answer ${answers[i].slice(0, 300)}`),
      ],
    };
  } finally {
    pool.closeAll();
    instance.closeSync();
  }
}
