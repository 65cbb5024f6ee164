import { Identify, createInstance } from '@amplitude/analytics-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCompatServer, type CompatServer, type UserView } from './kohort-server.js';

// The official @amplitude/analytics-node, used as its README shows, against a real Kohort.

let server: CompatServer;
beforeAll(async () => {
  server = await startCompatServer();
});
afterAll(async () => {
  await server?.close();
});

/** A client of its own (the README's createInstance), sending to Kohort's HTTP API or Batch API. */
/**
 * The SDK retries (drops the listed events, splits on 413) only on its own
 * scheduled flushes, every flushIntervalMillis; a manual flush() never
 * retries. So these tests let the timer flush.
 */
async function client(opts: { flushQueueSize?: number; useBatch?: boolean; flushIntervalMillis?: number } = {}) {
  const amplitude = createInstance();
  await amplitude.init(server.writeKey, {
    serverUrl: `${server.url}${opts.useBatch ? '/batch' : '/2/httpapi'}`,
    flushQueueSize: opts.flushQueueSize ?? 50,
    flushIntervalMillis: opts.flushIntervalMillis ?? 200,
    // Tests wait for every event's result; quiet logs.
    logLevel: 0,
  }).promise;
  return amplitude;
}

const eventCount = async (name: string) => (await server.get<{ name: string; count: number }[]>('/v1/event-types')).body.find((t) => t.name === name)?.count ?? 0;

describe('@amplitude/analytics-node', () => {
  it('tracks events with properties and user properties', async () => {
    const amplitude = await client();
    const results = [
      amplitude.track('Button Clicked', { buttonColor: 'primary' }, { user_id: 'amp-user-1', time: Date.parse('2024-06-01T10:00:00Z') }).promise,
      amplitude.track({ event_type: 'purchase', user_id: 'amp-user-1', event_properties: { price: 3 }, user_properties: { plan: 'pro' } }).promise,
      amplitude.track('view', undefined, { device_id: 'amp-device-1' }).promise,
    ];
    expect((await Promise.all(results)).map((r) => r.code)).toEqual([200, 200, 200]);
    const { body } = await server.get<UserView>('/v1/users/amp-user-1');
    expect(body).toMatchObject({ eventCount: 2, properties: { plan: 'pro' } });
    const clicked = body.recentEvents.find((e) => e.event === 'Button Clicked');
    expect(clicked).toMatchObject({ timestamp: '2024-06-01T10:00:00.000Z', properties: { buttonColor: 'primary' } });
    expect((await server.get<UserView>('/v1/users/amp-device-1')).body.eventCount).toBe(1);
  });

  for (const useBatch of [false, true]) {
    const api = useBatch ? 'Batch API' : 'HTTP API';
    it(`a batch with one invalid event keeps the valid ones: the SDK drops only the one Kohort lists (${api})`, async () => {
      const amplitude = await client({ useBatch });
      const name = `mixed_batch_${useBatch ? 'b' : 'h'}`;
      const farFuture = Date.now() + 3 * 24 * 3_600_000;
      const results = Array.from({ length: 6 }, (_, i) =>
        amplitude.track(name, { i }, { user_id: `${name}-${i}`, ...(i === 3 ? { time: farFuture } : {}) }).promise,
      );
      const codes = (await Promise.all(results)).map((r) => r.code);
      expect(codes).toEqual([200, 200, 200, 400, 200, 200]);
      expect(await eventCount(name)).toBe(5);
      expect((await server.get(`/v1/users/${name}-3`)).status).toBe(404);
      // One refused request, then the retry without the invalid event.
      const url = useBatch ? '/batch' : '/2/httpapi';
      expect(server.responses.filter((r) => r.url === url).slice(-2).map((r) => r.status)).toEqual([400, 200]);
    });
  }

  it('a 2,500-event flush arrives complete: Kohort answers 413, the SDK splits and resends', async () => {
    // A long interval so that all 2,500 events are queued before the first flush.
    const amplitude = await client({ flushQueueSize: 2500, flushIntervalMillis: 8_000 });
    const before = server.responses.length;
    const results = Array.from({ length: 2500 }, (_, i) => amplitude.track('big_flush', { i, pad: 'x'.repeat(200) }, { user_id: `big-${i % 50}` }).promise);
    const codes = (await Promise.all(results)).map((r) => r.code);
    expect(codes.filter((c) => c !== 200)).toEqual([]);
    expect(await eventCount('big_flush')).toBe(2500);
    const seen = server.responses.slice(before).filter((r) => r.url === '/2/httpapi').map((r) => r.status);
    expect(seen[0]).toBe(413);
    expect(seen.slice(1).every((s) => s === 200 || s === 413)).toBe(true);
  }, 120_000);

  it('identify operations apply (set, setOnce, add, lists, unset) and are not stored as events', async () => {
    const amplitude = await client();
    const first = new Identify()
      .set('plan', 'pro')
      .setOnce('first_source', 'ads')
      .add('logins', 1)
      .append('tags', 'a')
      .prepend('recent', 'p1')
      .postInsert('seen', 's1')
      .set('obsolete', true);
    const r1 = amplitude.identify(first, { user_id: 'amp-ops' }).promise;
    expect((await r1).code).toBe(200);
    const second = new Identify()
      .setOnce('first_source', 'email')
      .add('logins', 2)
      .append('tags', ['b', 'c'])
      .preInsert('recent', 'p0')
      .postInsert('seen', 's1')
      .unset('obsolete');
    const third = new Identify().remove('tags', 'a');
    const r2 = amplitude.identify(second, { user_id: 'amp-ops' }).promise;
    const r3 = amplitude.identify(third, { user_id: 'amp-ops' }).promise;
    expect((await Promise.all([r2, r3])).map((r) => r.code)).toEqual([200, 200]);

    const { body } = await server.get<UserView>('/v1/users/amp-ops');
    expect(body.properties).toEqual({ plan: 'pro', first_source: 'ads', logins: 3, tags: ['b', 'c'], recent: ['p0', 'p1'], seen: ['s1'] });
    expect(body.eventCount).toBe(0);
    expect(await eventCount('$identify')).toBe(0);
    // A cohort rule reads the values the operations computed.
    const preview = await server.post<{ size: number; sample: string[] }>('/v1/cohorts/preview', {
      definition: { match: 'all', rules: [{ type: 'property', property: 'logins', op: 'eq', value: 3 }, { type: 'property', property: 'first_source', op: 'eq', value: 'ads' }] },
    });
    expect(preview.body).toMatchObject({ size: 1, sample: ['amp-ops'] });

    const clear = amplitude.identify(new Identify().clearAll(), { user_id: 'amp-ops' }).promise;
    expect((await clear).code).toBe(200);
    expect((await server.get<UserView>('/v1/users/amp-ops')).body.properties).toEqual({});
  });

  it('a wrong API key drops the events at once (no endless retries) and stores nothing', async () => {
    const amplitude = createInstance();
    await amplitude.init('not-the-key', { serverUrl: `${server.url}/2/httpapi`, flushIntervalMillis: 200, logLevel: 0 }).promise;
    const r = amplitude.track('view', {}, { user_id: 'amp-intruder' }).promise;
    const res = await r;
    expect(res.code).toBe(400);
    expect(res.message).toMatch(/Invalid API key/);
    expect((await server.get('/v1/users/amp-intruder')).status).toBe(404);
  });
});
