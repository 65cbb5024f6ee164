/**
 * Ingest through the ClickHouse event store (`npx tsx bench/ch-ingest.ts`, needs
 * KOHORT_TEST_CLICKHOUSE_URL and KOHORT_TEST_DATABASE_URL): N concurrent requests of 500 tracks
 * (5% with a repeated messageId) and 50 identifies each, from one and from two "processes"
 * (stores on their own pools), timed until every request is answered.
 */
import { randomBytes } from 'node:crypto';
import { createClickHouseEventStore, type ClickHouseEventStore, type EventReads } from '../src/storage/clickhouse/clickhouse-event-store.js';
import { connectClickHouseHttp } from '../src/storage/clickhouse/http-client.js';
import { migrateClickHouse } from '../src/storage/clickhouse/migrations.js';
import type { WriteItem } from '../src/storage/event-store.js';
import { openPostgres, type PgDatabase } from '../src/storage/postgres/database.js';
import { createPgEventDedup } from '../src/storage/postgres/event-dedup.js';
import { PG_IDENTITY_MIGRATIONS } from '../src/storage/postgres/identity-migrations.js';
import { createPgIdentityStore } from '../src/storage/postgres/identity-store.js';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 100);
const reads = new Proxy({}, { get: () => () => Promise.reject(new Error('no reads in this bench')) }) as EventReads;

function request(r: number): WriteItem[] {
  const ts = new Date(Date.UTC(2024, 0, 1) + r * 60_000);
  const items: WriteItem[] = [];
  for (let i = 0; i < 500; i++) {
    const user = `u${(r * 500 + i) % 20_000}`;
    items.push({ kind: 'track', externalId: user, event: i % 3 ? 'view' : 'purchase', ts, props: { brand: `b${i % 20}`, price: i }, messageId: i % 20 === 0 ? `rep-${i}` : `m-${r}-${i}` });
  }
  for (let i = 0; i < 50; i++) items.push({ kind: 'identify', externalId: `u${(r * 50 + i) % 20_000}`, traits: { plan: i % 2 ? 'pro' : 'free' }, ts });
  return items;
}

async function run(processes: number): Promise<void> {
  const ch = new URL(process.env.KOHORT_TEST_CLICKHOUSE_URL!);
  ch.pathname = `/kohort_bench_ingest_${randomBytes(4).toString('hex')}`;
  const client = await connectClickHouseHttp(ch.toString());
  await migrateClickHouse(client);
  const schema = `bench_${randomBytes(4).toString('hex')}`;
  const dbs: PgDatabase[] = [];
  const stores: ClickHouseEventStore[] = [];
  for (let p = 0; p < processes; p++) {
    const db = await openPostgres(process.env.KOHORT_TEST_DATABASE_URL!, [PG_IDENTITY_MIGRATIONS], { schema, max: 4 });
    dbs.push(db);
    stores.push(await createClickHouseEventStore({ client, identity: createPgIdentityStore(db), dedup: createPgEventDedup(db), reads }));
  }
  const t0 = performance.now();
  const results = await Promise.all(Array.from({ length: REQUESTS }, (_, r) => stores[r % processes].write(request(r))));
  const ms = performance.now() - t0;
  const stored = results.reduce((n, r) => n + r.stored, 0);
  const dup = results.reduce((n, r) => n + r.duplicates, 0);
  console.log(`${processes} process(es): ${REQUESTS} requests, ${stored} stored, ${dup} duplicates in ${ms.toFixed(0)} ms: ${((stored + dup) / (ms / 1000)).toFixed(0)} items/s`);
  for (const s of stores) await s.close();
  await dbs[0].query(`DROP SCHEMA ${schema} CASCADE`);
  for (const d of dbs) await d.close();
  await client.command(`DROP DATABASE ${ch.pathname.slice(1)}`).catch(() => undefined);
}

async function main() {
  await run(1);
  await run(2);
}
main().catch((err) => {
  console.error(err);
  process.exit(1);
});
