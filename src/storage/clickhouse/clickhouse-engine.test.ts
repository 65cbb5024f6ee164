import { describe, expect, it } from 'vitest';
import { clickhouseDialect } from '../../cohort/dialects/clickhouse.js';
import type { PgDatabase } from '../postgres/database.js';
import { freshPgDatabase, noPostgres } from '../postgres/test-support/pg-test-db.js';
import type { ClickHouseClient } from './client.js';
import { CLICKHOUSE_MIGRATION_LOCK, openClickHouseEventsEngine, type ClickHouseAdapters, type ClickHouseEventSide } from './clickhouse-engine.js';
import { openChdbClient } from './test-support/chdb-client.js';

/**
 * The composition only: each port is the one its adapter made, over the one
 * client, after the schema is migrated; closing closes the event side, then
 * the client. (The adapters themselves are proven by their own suites.)
 */
/** A metadata database that only records the advisory lock taken around the migrations. */
const locks: string[] = [];
const PG = {
  tag: 'metadata',
  pool: {
    connect: async () => ({
      query: async (sql: string, params: unknown[]) => void locks.push(`${sql} ${params.join()}`),
      release: () => void locks.push('released'),
    }),
  },
} as unknown as PgDatabase;

function recordingAdapters(log: string[], fail?: 'membershipStore') {
  const port = (name: string) => ({ port: name }) as never;
  const events = {
    port: 'events',
    materializedProperties: () => [{ path: ['plan'], text: 'h1_text', number: 'h1_num' }],
    startBackground: () => log.push('background'),
    close: async () => void log.push('events closed'),
  } as unknown as ClickHouseEventSide;
  const seen: { client?: ClickHouseClient; pg?: PgDatabase } = {};
  const adapters: ClickHouseAdapters = {
    analyticsDialect: port('analytics dialect'),
    eventStore: (client, pg) => {
      seen.client = client;
      seen.pg = pg;
      return events;
    },
    membershipStore: async (client, pg) => {
      if (fail === 'membershipStore') throw new Error('membership store failed');
      expect([client, pg]).toEqual([seen.client, seen.pg]);
      return port('members');
    },
    insight: (client) => (expect(client).toBe(seen.client), port('insight')),
    analytics: (client) => (expect(client).toBe(seen.client), port('analytics')),
    contacts: (client) => (expect(client).toBe(seen.client), port('contacts')),
    memberExports: (client) => (expect(client).toBe(seen.client), port('memberExports')),
  };
  return { adapters, events, seen };
}

function closeLogged(client: ClickHouseClient, log: string[]): ClickHouseClient {
  return { ...client, close: async () => (log.push('client closed'), client.close()) };
}

describe('ClickHouse events engine composition', () => {
  it('migrates the schema, then serves each port from its adapter in the ClickHouse dialect', async () => {
    const log: string[] = [];
    const client = closeLogged(await openChdbClient(), log);
    const { adapters, events, seen } = recordingAdapters(log);
    const engine = await openClickHouseEventsEngine('http://unused:8123/k', { pg: PG, adapters, client });
    expect(seen.pg).toBe(PG);
    expect(locks.splice(0)).toEqual([
      `SELECT pg_advisory_lock($1) ${CLICKHOUSE_MIGRATION_LOCK}`,
      `SELECT pg_advisory_unlock($1) ${CLICKHOUSE_MIGRATION_LOCK}`,
      'released',
    ]);
    expect((await client.query<{ id: string }>('SELECT DISTINCT id FROM schema_migrations ORDER BY id')).map((r) => r.id)).toContain('ch-002-people');
    expect(engine.name).toBe('clickhouse');
    expect(engine.dialect).toBe(clickhouseDialect);
    expect(engine.analyticsDialect).toEqual({ port: 'analytics dialect' });
    expect(engine.events).toBe(events);
    expect([engine.members, engine.insight, engine.analytics, engine.contacts, engine.memberExports]).toEqual(
      ['members', 'insight', 'analytics', 'contacts', 'memberExports'].map((port) => ({ port })),
    );
    expect(engine.materializedProperties()).toEqual([{ path: ['plan'], text: 'h1_text', number: 'h1_num' }]);
    engine.startBackground();
    await engine.close();
    expect(log).toEqual(['background', 'events closed', 'client closed']);
  });

  it('closes the event side and the client when an adapter cannot be made', async () => {
    const log: string[] = [];
    const client = closeLogged(await openChdbClient(), log);
    const { adapters } = recordingAdapters(log, 'membershipStore');
    await expect(openClickHouseEventsEngine('http://unused:8123/k', { pg: PG, adapters, client })).rejects.toThrow(/membership store failed/);
    expect(log).toEqual(['events closed', 'client closed']);
  });
});

describe.skipIf(noPostgres())('ClickHouse migrations across processes', () => {
  it('wait while another process holds the migration lock in PostgreSQL', async () => {
    const pg = await freshPgDatabase([]);
    const other = await pg.pool.connect();
    const client = await openChdbClient();
    let opening: Promise<unknown> | undefined;
    try {
      await other.query('SELECT pg_advisory_lock($1)', [CLICKHOUSE_MIGRATION_LOCK]);
      const { adapters } = recordingAdapters([]);
      opening = openClickHouseEventsEngine('http://unused:8123/k', { pg, adapters, client: { ...client, close: async () => undefined } });
      // The opener is waiting on the lock: nothing is migrated yet.
      const waiting = async () => Number((await pg.query<{ n: string }>(`SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`))[0].n);
      await expect.poll(waiting).toBe(1);
      expect(await client.query(`SELECT name FROM system.tables WHERE database = currentDatabase() AND name = 'schema_migrations'`)).toEqual([]);
      await other.query('SELECT pg_advisory_unlock($1)', [CLICKHOUSE_MIGRATION_LOCK]);
      const engine = (await opening) as { close(): Promise<void> };
      expect((await client.query<{ id: string }>('SELECT DISTINCT id FROM schema_migrations')).map((r) => r.id)).toContain('ch-002-people');
      await engine.close();
    } finally {
      await other.query('SELECT pg_advisory_unlock_all()');
      other.release();
      await opening?.catch(() => undefined);
      await client.close();
      await pg.close();
    }
  });
});
