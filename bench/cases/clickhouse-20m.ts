import type { BenchContext, CaseResult } from '../harness.js';
import { runClickHouseCase } from './clickhouse-2m.js';
import { data20m } from './seed-20m.js';

export const name = 'clickhouse-20m';
export const description =
  'The clickhouse-2m case on the 20M-event / 1M-user seed (`.tmp/bench-20m`, as seed-20m), where issue 14 states its query ' +
  'targets: `kohort migrate --from .tmp/bench-20m` (timed) into fresh databases, the 13 suite definitions on DuckDB and ' +
  'ClickHouse and the hand-written ClickHouse SQL for the brief example, round-robin, sizes checked equal. Ingestion is ' +
  'measured by clickhouse-2m only. Needs the same servers as clickhouse-2m; skipped without them.';

export async function run(ctx: BenchContext): Promise<CaseResult> {
  return runClickHouseCase(ctx, { data: data20m, events: 20_000_000, users: '1M', seed: '.tmp/bench-20m', ingest: false });
}
