/**
 * The cross-process live stream on the ClickHouse server and on chdb: events
 * inserted by any writer (here: the test writer, as another process would)
 * reach subscribers once each, in receipt order, under the shown id of their
 * person; a late insert stamped earlier than events already streamed still
 * arrives; nothing from before the subscription; no polling without listeners.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { StoredEvent } from '../event-store';
import type { ClickHouseClient } from './client';
import { ClickHouseEventWriter } from './event-writer';
import { createClickHouseLiveStream } from './live-stream';
import { migrateClickHouse } from './migrations';
import { freshClickHouseDatabase, noClickHouse } from './test-support/ch-test-db';
import { openChdbClient } from './test-support/chdb-client';

function suite(open: () => Promise<ClickHouseClient>) {
  let client: ClickHouseClient;
  let writer: ClickHouseEventWriter;
  let seq = 0;
  beforeAll(async () => {
    client = await open();
    await migrateClickHouse(client);
    writer = await ClickHouseEventWriter.open(client, []);
    await client.insert('users', [
      { uid: 1, user_id: 'ann', created_at: 0, version: 1 },
      { uid: 2, user_id: 'anon-2', created_at: 0, version: 1 },
      { uid: 3, user_id: 'ben', created_at: 0, version: 1 },
    ]);
    await client.insert('person_merges', [{ from_uid: 2, into_uid: 3, version: 1 }]);
  });
  afterAll(() => client?.close());

  const send = (uid: number, event: string, receivedAt = new Date()) =>
    writer.events([{ seq: ++seq, uid, event, ts: new Date('2024-05-01T00:00:00Z'), props: { n: seq }, messageId: `m${seq}`, receivedAt }]);

  it('streams events inserted after subscribing, once each, in receipt order, under their person', async () => {
    await send(1, 'before', new Date(Date.now() - 1000));
    const stream = createClickHouseLiveStream(client, { intervalMs: 50, lagMs: 5_000 });
    const got: StoredEvent[][] = [];
    const unsubscribe = stream.subscribe((batch) => got.push(batch));
    try {
      const now = Date.now();
      await send(1, 'one', new Date(now + 10));
      await send(2, 'two', new Date(now + 20));
      await vi.waitFor(() => expect(got.flat().map((e) => e.event)).toEqual(['one', 'two']), { timeout: 10_000 });
      // Inserted late, stamped before "two" (another process's slower insert): still streamed.
      await send(3, 'late', new Date(now + 15));
      await send(1, 'three', new Date(now + 30));
      await vi.waitFor(() => expect(got.flat().map((e) => e.event)).toEqual(['one', 'two', 'late', 'three']), { timeout: 10_000 });
      expect(got.flat().map((e) => e.userId)).toEqual(['ann', 'ben', 'ben', 'ann']);
      expect(got.flat()[1].properties).toEqual({ n: 3 });
      // More polls deliver nothing again.
      await stream.poll();
      await stream.poll();
      expect(got.flat()).toHaveLength(4);
    } finally {
      unsubscribe();
      stream.close();
    }
  });

  it('reads nothing while nobody listens', async () => {
    let queries = 0;
    const counting: ClickHouseClient = { ...client, query: (sql) => (queries++, client.query(sql)) };
    const stream = createClickHouseLiveStream(counting, { intervalMs: 20 });
    const unsubscribe = stream.subscribe(() => undefined);
    await vi.waitFor(() => expect(queries).toBeGreaterThan(2), { timeout: 10_000 });
    unsubscribe();
    const after = queries;
    // Any poll already under way may finish; none starts after it.
    await new Promise((r) => setTimeout(r, 300));
    const settled = queries;
    await new Promise((r) => setTimeout(r, 300));
    expect(queries).toBe(settled);
    expect(settled - after).toBeLessThanOrEqual(3);
    stream.close();
  });
}

describe.skipIf(noClickHouse())('ClickHouse live stream on the server', () => suite(freshClickHouseDatabase));
describe('ClickHouse live stream on chdb', () => suite(openChdbClient));
