/**
 * A sync worker process for the multi-process test: a SyncScheduler and runner
 * with leases on PostgreSQL (KOHORT_TEST_DATABASE_URL, schema WORKER_SCHEMA),
 * membership `userIds(WORKER_MEMBERS)` for cohort c1. Prints "ready" once polling.
 */
import { createDestinationRegistry } from '../../../destinations/registry.js';
import { openPostgres } from '../../../storage/postgres/database.js';
import { createPgJobLeases } from '../../../storage/postgres/job-leases.js';
import { PG_LEASE_MIGRATIONS } from '../../../storage/postgres/lease-migrations.js';
import { PG_SYNC_MIGRATIONS } from '../../../storage/postgres/sync-migrations.js';
import { PgSyncStore } from '../../../storage/postgres/sync-store.js';
import { LeaseKeeper } from '../../job-lease.js';
import { systemClock } from '../clock.js';
import { SyncRunner } from '../sync-runner.js';
import { SyncScheduler } from '../sync-scheduler.js';
import { FakeMembership, userIds } from './fake-membership.js';

const env = process.env;
const db = await openPostgres(env.KOHORT_TEST_DATABASE_URL!, [PG_SYNC_MIGRATIONS, PG_LEASE_MIGRATIONS], { schema: env.WORKER_SCHEMA!, max: 4 });
const store = new PgSyncStore(db);
const runner = new SyncRunner({
  store,
  membership: new FakeMembership().setCohort('c1', 'Big spenders', userIds(Number(env.WORKER_MEMBERS))),
  registry: createDestinationRegistry(undefined, { timeoutMs: 60_000 }),
  clock: systemClock,
  concurrency: 2,
  leases: new LeaseKeeper(createPgJobLeases(db), { owner: env.WORKER_NAME, ttlMs: Number(env.WORKER_LEASE_MS) }),
});
const scheduler = new SyncScheduler({ store, runner, clock: systemClock, pollIntervalMs: 200 });
await scheduler.start();
console.log('ready');
