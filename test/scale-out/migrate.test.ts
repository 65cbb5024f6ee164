/**
 * `kohort migrate` (scale-out.md, Moving up): an embedded store is copied into
 * PostgreSQL and ClickHouse with ids kept, in chunks; a run stopped midway (in
 * a PostgreSQL chunk, and between a ClickHouse write and its progress record)
 * resumes to the same final counts with no row twice; cohorts computed on
 * ClickHouse with its dialect match DuckDB's on the source; the source file is
 * never changed; a target holding other data is refused. ClickHouse: the test
 * server (Debian's 18.16) and chdb (a current release).
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileDefinition } from '../../src/cohort/cohort-compiler.js';
import { clickhouseDialect, toClickHouseSql } from '../../src/cohort/dialects/clickhouse.js';
import { quoteClickHouseString } from '../../src/cohort/dialects/clickhouse-literals.js';
import { MIGRATE_PROGRESS_MIGRATIONS } from '../../src/migrate/progress.js';
import { migrateStore, type MigrateReport } from '../../src/migrate/run-migration.js';
import { PG_METADATA_MIGRATIONS } from '../../src/metadata-stores.js';
import { seed } from '../../src/seed/seed-command.js';
import type { Definition } from '../../src/schemas/definition.js';
import { tokenHash } from '../../src/services/accounts/credentials.js';
import type { ClickHouseClient } from '../../src/storage/clickhouse/client.js';
import type { IdentityImport, IdentitySnapshot } from '../../src/storage/identity-import.js';
import { migrateClickHouse } from '../../src/storage/clickhouse/migrations.js';
import { freshClickHouseDatabase, noClickHouse } from '../../src/storage/clickhouse/test-support/ch-test-db.js';
import { openChdbClient } from '../../src/storage/clickhouse/test-support/chdb-client.js';
import { openDatabaseReadOnly } from '../../src/storage/duckdb/database.js';
import { createPgCohortStore } from '../../src/storage/postgres/cohort-store.js';
import type { PgDatabase } from '../../src/storage/postgres/database.js';
import { PgSyncStore } from '../../src/storage/postgres/sync-store.js';
import { freshPgDatabase, noPostgres } from '../../src/storage/postgres/test-support/pg-test-db.js';
import { HOOK_SECRET, seedEmbeddedStore, type SeededStore } from './migrate-source.js';

const dirs: string[] = [];
let dir: string;
let seeded: SeededStore;
/** The source file's bytes and times before any migration. */
let before: { hash: string; mtimeMs: number; files: string[] };

const fileState = () => {
  const file = join(dir, 'kohort.duckdb');
  return { hash: createHash('sha256').update(readFileSync(file)).digest('hex'), mtimeMs: statSync(file).mtimeMs, files: readdirSync(dir).sort() };
};

/** Rows of a query on the source file, opened read-only. */
async function sourceRows(sql: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
  const { instance, conn } = await openDatabaseReadOnly(join(dir, 'kohort.duckdb'));
  try {
    return (await conn.runAndReadAll(sql, params as never)).getRowObjectsJS() as Record<string, unknown>[];
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

const metadataTarget = () => freshPgDatabase([...PG_METADATA_MIGRATIONS, MIGRATE_PROGRESS_MIGRATIONS]);

beforeAll(async () => {
  if (noPostgres()) return;
  dir = mkdtempSync(join(tmpdir(), 'kohort-migrate-'));
  dirs.push(dir);
  seeded = await seedEmbeddedStore(dir, { users: 2000, events: 30_000 });
  before = fileState();
}, 180_000);
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const ASOF = new Date('2026-12-01T00:00:00Z');
const DEFINITIONS: Definition[] = [
  { match: 'all', rules: [{ type: 'event', event: 'purchase' }] },
  { match: 'all', rules: [{ type: 'property', property: 'plan', op: 'eq', value: 'pro' }] },
  { match: 'any', rules: [{ type: 'event', event: 'view', where: [{ property: 'brand', op: 'eq', value: 'acme' }], count: { op: 'gte', value: 2 } }] },
];

/** The tests of a suite run in order: the later ones read the target the first one migrated into. */
function suite(openClickHouse: () => Promise<ClickHouseClient>) {
  let pg: PgDatabase;
  let ch: ClickHouseClient;
  beforeAll(async () => {
    pg = await metadataTarget();
    ch = await openClickHouse();
    await migrateClickHouse(ch);
  });
  afterAll(() => ch?.close());

  const counts = (r: MigrateReport) => Object.fromEntries(r.tables.map((t) => [t.table, [t.source, t.target_rows]]));

  it('stopped in a PostgreSQL chunk and between a ClickHouse write and its record, resumes to every row exactly once', async () => {
    const chunkRows = { postgres: 2, clickhouse: 4_000 };
    const stopAt = (table: string, done: number) => (e: { table: string; done: number }) => {
      if (e.table === table && e.done >= done) throw new Error(`stopped at ${table} ${e.done}`);
    };
    await expect(migrateStore({ fromDir: dir, pg, clickhouse: ch, chunkRows, onChunk: stopAt('audit_log', 4) })).rejects.toThrow('stopped at audit_log 4');
    // The chunk being written rolled back with its progress: two rows in, two recorded.
    expect((await pg.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_log'))[0].n).toBe(2);

    await expect(migrateStore({ fromDir: dir, pg, clickhouse: ch, chunkRows, onChunk: stopAt('events', 12_000) })).rejects.toThrow('stopped at events 12000');
    // Three chunks are in ClickHouse, only two recorded: the resume must not add the third again.
    expect(Number((await ch.query<{ n: string }>('SELECT toString(count()) AS n FROM events'))[0].n)).toBe(12_000);

    // Resumed with smaller chunks and stopped again while the rows of the first stop are still being checked.
    const small = { postgres: 2, clickhouse: 1_500 };
    await expect(migrateStore({ fromDir: dir, pg, clickhouse: ch, chunkRows: small, onChunk: stopAt('events', 11_000) })).rejects.toThrow('stopped at events 11000');
    expect(Number((await ch.query<{ n: string }>('SELECT toString(count()) AS n FROM events'))[0].n)).toBe(12_000);

    const report = await migrateStore({ fromDir: dir, pg, clickhouse: ch, chunkRows });
    expect(report.resumed).toBe(true);
    for (const t of report.tables) expect([t.table, t.target_rows]).toEqual([t.table, t.source]);
    const c = counts(report);
    expect(c.events[0]).toBeGreaterThanOrEqual(30_000);
    expect(c.users[0]).toBeGreaterThan(2000);
    for (const t of ['cohorts', 'cohort_history', 'sync_destinations', 'sync_jobs', 'sync_acknowledged', 'sync_runs', 'accounts', 'api_tokens', 'audit_log', 'workflow_steps', 'workflow_cards', 'workflow_actions', 'identities', 'person_merges', 'user_traits', 'cohort_members']) {
      expect(c[t][0], t).toBeGreaterThan(0);
    }
    expect(report.maxUid).toBeGreaterThan(2000);
    expect(report.tables.filter((t) => t.outside > 0).map((t) => [t.table, t.outside])).toEqual([['events', 1]]);
    expect(report.secretKeyFile).toBe(true);

    const again = await migrateStore({ fromDir: dir, pg, clickhouse: ch });
    expect(again.alreadyDone).toBe(true);
    expect(counts(again)).toEqual(c);
    expect(fileState()).toEqual(before);
  }, 240_000);

  it('keeps ids, records, acknowledged sets, sealed secrets and token hashes', async () => {
    const docs = (await sourceRows('SELECT CAST(doc AS VARCHAR) AS doc FROM cohorts ORDER BY rowid')).map((r) => JSON.parse(String(r.doc)));
    expect(await createPgCohortStore(pg).all()).toEqual(docs);
    const syncs = new PgSyncStore(pg);
    const acked = (await sourceRows('SELECT DISTINCT user_id FROM sync_acknowledged WHERE sync_id = ? ORDER BY user_id', [seeded.sync])).map((r) => r.user_id);
    expect(acked.length).toBeGreaterThan(0);
    expect(await syncs.acknowledged(seeded.sync)).toEqual(acked);
    expect(await syncs.getSync(seeded.sync)).toMatchObject({ id: seeded.sync, cohortId: seeded.buyers, destinationId: seeded.destination });
    const secret = String((await syncs.getDestination(seeded.destination))!.config.secret);
    expect(secret).toMatch(/^enc:v1:/);
    expect(JSON.stringify(await pg.query('SELECT config FROM sync_destinations'))).not.toContain(HOOK_SECRET.slice(6));
    expect((await pg.query<{ n: number }>('SELECT count(*)::int AS n FROM api_tokens WHERE token_hash = $1', [tokenHash(seeded.token)]))[0].n).toBe(1);
    // New rows continue after the copied ones (sequences moved past the imported seq values).
    const [audit] = await pg.query<{ max: number; next: number }>(`SELECT max(seq) AS max, nextval(pg_get_serial_sequence('audit_log', 'seq')) AS next FROM audit_log`);
    expect(audit.next).toBeGreaterThan(audit.max);
  });

  it('computes the same cohorts on ClickHouse as DuckDB on the source, person keys kept', async () => {
    const resolveCohort = () => ({ kind: 'static' as const });
    const defs: Definition[] = [...DEFINITIONS, { match: 'all', rules: [{ type: 'cohort', cohortId: seeded.vip }] }];
    for (const def of defs) {
      const onDuck = compileDefinition(def, { asOf: ASOF, resolveCohort });
      const duck = (await sourceRows(onDuck.sql, onDuck.params)).map((r) => Number(r.uid)).sort((a, b) => a - b);
      const onCh = toClickHouseSql(compileDefinition(def, { asOf: ASOF, resolveCohort }, clickhouseDialect));
      const chUids = (await ch.query<{ uid: string }>(onCh)).map((r) => Number(r.uid)).sort((a, b) => a - b);
      expect(duck.length, JSON.stringify(def)).toBeGreaterThan(0);
      expect(chUids, JSON.stringify(def)).toEqual(duck);
    }
    // The saved cohort's stored member set moved with it.
    const members = await sourceRows('SELECT count(DISTINCT uid) AS n FROM cohort_members WHERE cohort_id = ?', [seeded.buyers]);
    const onCh = await ch.query<{ n: string }>(
      `SELECT toString(count()) AS n FROM (SELECT uid FROM cohort_members WHERE cohort_id = ${quoteClickHouseString(seeded.buyers)} GROUP BY uid HAVING argMax(present, version) = 1)`,
    );
    expect(Number(onCh[0].n)).toBe(Number(members[0].n));
  });
}

describe.skipIf(noPostgres() || noClickHouse())('kohort migrate into PostgreSQL and the ClickHouse server', () => {
  suite(freshClickHouseDatabase);

  it('copies a store that was only ever seeded (no metadata tables in its file)', async () => {
    const only = mkdtempSync(join(tmpdir(), 'kohort-migrate-seeded-'));
    dirs.push(only);
    await seed(only, { users: 50, events: 500, days: 10, seed: 3 });
    const pg = await metadataTarget();
    const ch = await freshClickHouseDatabase();
    try {
      await migrateClickHouse(ch);
      const report = await migrateStore({ fromDir: only, pg, clickhouse: ch });
      const c = Object.fromEntries(report.tables.map((t) => [t.table, [t.source, t.target_rows]]));
      expect([c.cohorts, c.accounts, c.sync_destinations, c.users, c.events]).toEqual([[0, 0], [0, 0], [0, 0], [50, 50], [500, 500]]);
      expect(report.secretKeyFile).toBe(false);
    } finally {
      await ch.close();
    }
  }, 120_000);

  it('gives the identity port every person (merged-away keys with their final person), every id and the last seq, once', async () => {
    const pg = await metadataTarget();
    const ch = await freshClickHouseDatabase();
    const snaps: IdentitySnapshot[] = [];
    const identities: IdentityImport = {
      importSnapshot: async (snap) => void snaps.push(snap),
      countIdentities: async () => snaps.at(-1)?.identities.length ?? 0,
    };
    try {
      await migrateClickHouse(ch);
      const stop = (e: { table: string }) => {
        if (e.table === 'users') throw new Error('stopped');
      };
      await expect(migrateStore({ fromDir: dir, pg, clickhouse: ch, identities, onChunk: stop })).rejects.toThrow('stopped');
      const report = await migrateStore({ fromDir: dir, pg, clickhouse: ch, identities });
      expect(snaps.length).toBe(1);
      const [snap] = snaps;
      const uidOf = new Map(snap.identities.map((i) => [i.externalId, i.uid]));
      expect(uidOf.get('merge-a')).toBe(uidOf.get('merge-b'));
      expect(uidOf.get('anon-9')).toBe(uidOf.get('known-9'));
      const [merge] = await sourceRows('SELECT from_uid, into_uid FROM person_merges');
      expect(snap.people.find((p) => p.uid === Number(merge.from_uid))).toEqual({ uid: Number(merge.from_uid), userId: '', mergedInto: uidOf.get('merge-b') });
      expect(snap.people.find((p) => p.uid === uidOf.get('known-9'))).toEqual({ uid: uidOf.get('known-9'), userId: 'known-9' });
      const [last] = await sourceRows('SELECT max(seq) AS s FROM (SELECT seq FROM events_all UNION ALL SELECT seq FROM user_traits UNION ALL SELECT seq FROM person_merges)');
      expect(snap.lastSeq).toBe(Number(last.s));
      expect(report.lastSeq).toBe(snap.lastSeq);
      expect(Math.max(...snap.people.map((p) => p.uid))).toBe(report.maxUid);
      expect(report.tables[0]).toEqual({ table: 'identities (PostgreSQL)', target: 'identities', source: snap.identities.length, target_rows: snap.identities.length, outside: 0 });
    } finally {
      await ch.close();
    }
  }, 120_000);

  it('refuses a target that holds other data, and a target holding another store', async () => {
    const pg = await metadataTarget();
    const ch = await freshClickHouseDatabase();
    try {
      await migrateClickHouse(ch);
      await pg.query(`INSERT INTO accounts VALUES ('acc_x', 'x@example.com', 'X', 'owner', false, 'h', now(), now(), NULL)`);
      await expect(migrateStore({ fromDir: dir, pg, clickhouse: ch })).rejects.toThrow(/already holds data \(1 accounts\)/);
      // A second run into the same database while one is copying is refused.
      const held = await pg.pool.connect();
      try {
        await held.query('SELECT pg_advisory_lock(7301113090)');
        await expect(migrateStore({ fromDir: dir, pg, clickhouse: ch })).rejects.toThrow(/Another kohort migrate is copying/);
      } finally {
        await held.query('SELECT pg_advisory_unlock(7301113090)');
        held.release();
      }
      expect(fileState()).toEqual(before);

      const other = mkdtempSync(join(tmpdir(), 'kohort-migrate-other-'));
      dirs.push(other);
      await seedEmbeddedStore(other, { users: 30, events: 200 });
      const pg2 = await metadataTarget();
      await migrateStore({ fromDir: other, pg: pg2, clickhouse: ch });
      await expect(migrateStore({ fromDir: dir, pg: pg2, clickhouse: ch })).rejects.toThrow(/another embedded store/);
    } finally {
      await ch.close();
    }
  }, 120_000);
});

describe.skipIf(noPostgres())('kohort migrate into PostgreSQL and ClickHouse on chdb', () => suite(openChdbClient));
