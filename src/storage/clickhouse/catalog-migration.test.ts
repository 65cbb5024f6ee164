/**
 * Migration ch-020 on the server and on chdb: the property catalog holds the
 * paths of events stored before it (the backfill) and of every insert after
 * it (the materialized view), and the event types read from it list each
 * path once however often it was seen.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CATALOG_MIGRATION } from './catalog-migration';
import type { ClickHouseClient } from './client';
import { createClickHouseEventReads } from './event-reads';
import { ClickHouseEventWriter } from './event-writer';
import { CLICKHOUSE_MIGRATIONS, migrateClickHouse } from './migrations';
import { freshClickHouseDatabase, noClickHouse } from './test-support/ch-test-db';
import { openChdbClient } from './test-support/chdb-client';

function suite(open: () => Promise<ClickHouseClient>) {
  let client: ClickHouseClient;
  beforeAll(async () => {
    client = await open();
  });
  afterAll(() => client?.close());

  it('backfills the events stored before it and follows every insert after it', async () => {
    const before = CLICKHOUSE_MIGRATIONS.filter((m) => m !== CATALOG_MIGRATION);
    await migrateClickHouse(client, before);
    const writer = await ClickHouseEventWriter.open(client, []);
    const at = new Date('2024-01-01T00:00:00Z');
    await client.insert('users', [{ uid: 1, user_id: 'u1', created_at: 0, version: 1 }]);
    await writer.events([
      { seq: 1, uid: 1, event: 'old', ts: at, props: { a: 1, nested: { b: 'x' } }, messageId: 'm1' },
      { seq: 2, uid: 1, event: 'old', ts: at, props: { a: 2 }, messageId: 'm2' },
    ]);
    await migrateClickHouse(client);
    await writer.events([{ seq: 3, uid: 1, event: 'new', ts: at, props: { c: true }, messageId: 'm3' }]);
    await writer.events([{ seq: 4, uid: 1, event: 'old', ts: at, props: { a: 'text' }, messageId: 'm4' }]);
    const types = await createClickHouseEventReads(client).listEventTypes();
    expect(types).toEqual([
      { name: 'new', count: 1, lastSeen: at, properties: [{ name: 'c', type: 'boolean' }] },
      {
        name: 'old',
        count: 3,
        lastSeen: at,
        properties: [
          { name: 'a', type: 'number' },
          { name: 'a', type: 'string' },
          { name: 'nested.b', type: 'string' },
        ],
      },
    ]);
  });
}

describe.skipIf(noClickHouse())('event property catalog on the server', () => suite(freshClickHouseDatabase));
describe('event property catalog on chdb', () => suite(openChdbClient));
