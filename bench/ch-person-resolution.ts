/**
 * What resolving people at query time costs on ClickHouse (`npx tsx bench/ch-person-resolution.ts`,
 * needs KOHORT_TEST_CLICKHOUSE_URL or KOHORT_BENCH_CLICKHOUSE_URL): the brief example over ~2M
 * events / 100k people, compiled with the dialect reading the raw tables ("direct") and the
 * person-resolving sources of people-sql.ts ("resolved"), with no merges and then with a few
 * thousand. Round-robin, one warm-up round, medians. Data is generated inside ClickHouse
 * (untimed) with brand / price in hot columns, as a seeded store has them.
 */
import { compileDefinition } from '../src/cohort/cohort-compiler.js';
import { clickhouseDialect, toClickHouseSql } from '../src/cohort/dialects/clickhouse.js';
import type { SqlDialect } from '../src/cohort/dialect.js';
import { connectClickHouseHttp } from '../src/storage/clickhouse/http-client.js';
import { migrateClickHouse } from '../src/storage/clickhouse/migrations.js';
import { ClickHouseEventWriter } from '../src/storage/clickhouse/event-writer.js';
import { BRIEF } from './cases/cohort-preview.js';
import type { ClickHouseClient } from '../src/storage/clickhouse/client.js';
import { openChdbClient } from '../src/storage/clickhouse/test-support/chdb-client.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 2_000_000);
const USERS = 100_000;
const MERGES = Number(process.env.BENCH_MERGES ?? 3000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  let client: ClickHouseClient;
  let drop = async () => {};
  if (process.env.BENCH_CHDB) {
    // A current ClickHouse in-process (its own temporary session).
    client = await openChdbClient();
  } else {
    const base = process.env.KOHORT_BENCH_CLICKHOUSE_URL ?? process.env.KOHORT_TEST_CLICKHOUSE_URL;
    if (!base) throw new Error('set KOHORT_TEST_CLICKHOUSE_URL (or BENCH_CHDB=1)');
    const url = new URL(base);
    url.pathname = '/default';
    const admin = await connectClickHouseHttp(url.toString());
    await admin.command('DROP DATABASE IF EXISTS kohort_bench_people');
    url.pathname = '/kohort_bench_people';
    client = await connectClickHouseHttp(url.toString());
    drop = async () => {
      await admin.command('DROP DATABASE kohort_bench_people');
      await admin.close();
    };
  }
  await migrateClickHouse(client);
  const writer = await ClickHouseEventWriter.open(client, [['brand'], ['price']]);
  const now = Date.now();
  const span = 4 * 365 * 86_400_000;
  // Six event names, brand one of 20 ("something" among them), price 0..1999, times over 4 years.
  await client.command(`INSERT INTO events (event, ts, uid, seq, message_id, received_at, props, props_keys, props_kind, props_text, props_num, props_dkey, hot1_text, hot2_num)
    SELECT arrayElement(['view','cart','click','purchase','signup_activity','app_download'], 1 + number % 6) AS event,
           toInt64(${now - span} + intHash64(number) % ${span}) * 1000 AS ts,
           1 + intHash64(number + 1) % ${USERS} AS uid, number + 1 AS seq, '' AS message_id, ts AS received_at,
           concat('{"brand":"', b, '","price":', toString(p), '}') AS props,
           ['["brand"]', '["price"]'], [1, 2], [b, toString(p)], [NULL, toFloat64(p)], [concat('s:', b), concat('n:', toString(p))],
           b, toFloat64(p)
      FROM (SELECT number, if(number % 7 = 0, 'something', concat('brand', toString(number % 20))) AS b, intHash64(number + 2) % 2000 AS p
              FROM numbers(${EVENTS}))`);
  await client.command(`INSERT INTO users SELECT number + 1, concat('u', toString(number + 1)), 0, 0 FROM numbers(${USERS})`);
  const materialized = writer.materialized();
  const asOf = new Date();
  const direct: SqlDialect = { ...clickhouseDialect, tables: { ...clickhouseDialect.tables, events: 'events', traits: 'user_traits', users: '(SELECT DISTINCT uid FROM users)' } };
  const variants = [
    { label: 'direct table', d: direct },
    { label: 'person-resolved', d: clickhouseDialect },
  ];
  const run = async (label: string) => {
    const qs = variants.map((v) => toClickHouseSql(compileDefinition(BRIEF, { asOf, resolveCohort: () => undefined, materialized }, v.d)));
    const times = qs.map(() => [] as number[]);
    const sizes = qs.map(() => 0);
    for (let round = 0; round <= ROUNDS; round++) {
      for (let i = 0; i < qs.length; i++) {
        const t0 = performance.now();
        const [r] = await client.query<{ n: string }>(`SELECT toString(count()) AS n FROM (${qs[i]})`);
        if (round > 0) times[i].push(performance.now() - t0);
        sizes[i] = Number(r.n);
      }
    }
    for (let i = 0; i < qs.length; i++) console.log(`${label} | ${variants[i].label} | ${median(times[i]).toFixed(1)} ms | ${sizes[i]} members`);
  };
  await run('no merges');
  // Merges between random people (flattened: each from key once).
  await client.command(`INSERT INTO person_merges SELECT from_uid, into_uid, 1 FROM
    (SELECT 1 + intHash64(number + 99) % ${USERS} AS from_uid, 1 + intHash64(number + 7) % ${USERS} AS into_uid FROM numbers(${MERGES})) WHERE from_uid != into_uid`);
  await run(`${MERGES} merges`);
  await drop();
  await client.close();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
