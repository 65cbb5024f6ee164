import { describe, expect, it } from 'vitest';
import { clickhouseDialect } from '../../cohort/dialects/clickhouse.js';
import type { PgDatabase } from '../postgres/database.js';
import type { ClickHouseClient } from './client.js';
import { openClickHouseEventsEngine, type ClickHouseAdapters, type ClickHouseEventSide } from './clickhouse-engine.js';
import { openChdbClient } from './test-support/chdb-client.js';

/**
 * The composition only: each port is the one its adapter made, over the one
 * client, after the schema is migrated; closing closes the event side, then
 * the client. (The adapters themselves are proven by their own suites.)
 */
const PG = { tag: 'metadata' } as unknown as PgDatabase;

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
      expect([client, pg]).toEqual([seen.client, PG]);
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
