/**
 * Interrupting ClickHouse reads on the test server: an aborted statement is
 * really stopped by the server (gone from its process list), the read rejects
 * saying it was interrupted, and other statements are untouched. Contacts'
 * scratch tables of streamed user ids are dropped after each request, and
 * those left by a dead request are dropped by a later one.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { cancellable, QueryInterruptedError } from './cancellable';
import type { ClickHouseClient } from './client';
import { createClickHouseContactReads } from './contact-reads';
import { migrateClickHouse } from './migrations';
import { freshClickHouseDatabase, noClickHouse } from './test-support/ch-test-db';

const ENDLESS = 'SELECT count() AS n FROM numbers(10000000000000) WHERE number % 7 = 12';

describe.skipIf(noClickHouse())('interrupting ClickHouse reads', () => {
  let client: ClickHouseClient;
  beforeAll(async () => {
    client = await freshClickHouseDatabase();
    await migrateClickHouse(client);
    await client.insert('users', [{ uid: 1, user_id: 'ann', created_at: 0, version: 1 }]);
  });
  afterAll(() => client?.close());

  const running = async () =>
    (await client.query<{ n: string }>("SELECT count() AS n FROM system.processes WHERE position(query, 'numbers(10000000000000)') > 0 AND position(query, 'system.processes') = 0"))[0].n;

  it('stops the statement on the server when the signal aborts; other statements go on', async () => {
    const c = new AbortController();
    const other = client.query<{ n: string }>('SELECT count() AS n FROM numbers(3000000)');
    const read = cancellable(client, c.signal).query(ENDLESS);
    await vi.waitFor(async () => expect(await running()).toBe('1'), { timeout: 10_000 });
    c.abort();
    await expect(read).rejects.toBeInstanceOf(QueryInterruptedError);
    await expect(read).rejects.toThrow(/interrupt/i);
    expect(await running()).toBe('0');
    expect(await other).toEqual([{ n: '3000000' }]);
    // Aborted already: nothing is sent.
    await expect(cancellable(client, c.signal).query('SELECT 1 AS one')).rejects.toThrow();
    expect(await cancellable(client, new AbortController().signal).query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
  });

  it("drops the scratch table of a request's streamed user ids, and those of requests that died", async () => {
    const scratch = async () =>
      (await client.query<{ name: string }>("SELECT name FROM system.tables WHERE database = currentDatabase() AND startsWith(name, 'kohort_scope_')")).map((r) => r.name);
    await client.command('CREATE TABLE kohort_scope_1000_abcdef (user_id String) ENGINE = Memory');
    const reads = createClickHouseContactReads(client);
    const r = await reads.page({ inUsers: async function* () { yield ['ann', 'bob']; }, limit: 10, withTotal: true });
    expect(r.rows.map((x) => x.userId)).toEqual(['ann']);
    expect(r.total).toBe(1);
    expect(await scratch()).toEqual([]);
  });
});
