import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ADMIN_TOKEN,
  INGEST_ROUTES,
  WRITE_KEY,
  adminHeaders,
  basicAuth,
  bearer,
  createTestApp,
  expectError,
  storedCounts,
  validBody,
  type IngestRoute,
  type TestApp,
} from '../../test/support/test-app.js';

/** Fixed receive time, so "more than 1 day in the future" is exact. */
const NOW = new Date('2024-06-01T12:00:00.000Z');
const HOUR = 3_600_000;

let t: TestApp;
beforeEach(async () => {
  t = await createTestApp({ now: () => new Date(NOW) });
});
afterEach(async () => {
  await t.close();
});

const post = (url: string, body: unknown, headers: Record<string, string> = { authorization: basicAuth() }) =>
  t.app.inject({ method: 'POST', url, payload: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } });
const get = (url: string) => t.app.inject({ method: 'GET', url, headers: adminHeaders });
const live = async (query = '') => (await get(`/v1/events/live${query}`)).json().items as { userId: string; event: string; timestamp: string; properties: Record<string, unknown>; receivedAt: string }[];
const user = async (id: string) => (await get(`/v1/users/${encodeURIComponent(id)}`)).json();

describe('write key', () => {
  const forms: [string, (route: IngestRoute, n: number) => { body: unknown; headers: Record<string, string> }][] = [
    ['Basic base64(key + ":")', (r, n) => ({ body: validBody(r, n), headers: { authorization: basicAuth() } })],
    ['Bearer key', (r, n) => ({ body: validBody(r, n), headers: { authorization: bearer(WRITE_KEY) } })],
    ['api_key in the body', (r, n) => ({ body: { ...validBody(r, n), api_key: WRITE_KEY }, headers: {} })],
  ];

  for (const route of INGEST_ROUTES) {
    it.each(forms)(`${route} accepts the key as %s`, async (_name, make) => {
      const before = await storedCounts(t.db);
      const { body, headers } = make(route, 1);
      const res = await post(route, body, headers);
      expect(res.statusCode, res.body).toBe(200);
      const after = await storedCounts(t.db);
      expect(after).not.toEqual(before);
    });

    it(`${route} answers 401 in the error shape for a missing or wrong key, storing nothing`, async () => {
      const body = validBody(route, 2);
      const attempts: { body: unknown; headers: Record<string, string> }[] = [
        { body, headers: {} },
        { body, headers: { authorization: basicAuth('not-the-key') } },
        { body, headers: { authorization: `Basic ${Buffer.from(`:${WRITE_KEY}`).toString('base64')}` } },
        { body, headers: { authorization: bearer('not-the-key') } },
        { body, headers: { authorization: bearer(ADMIN_TOKEN) } },
        { body, headers: { authorization: `Bearer ${WRITE_KEY}x` } },
        { body, headers: { authorization: WRITE_KEY } },
        { body: { ...body, api_key: 'not-the-key' }, headers: {} },
        { body: { ...body, api_key: '' }, headers: {} },
        { body: { ...body, api_key: 12345 }, headers: {} },
        // A wrong header is not rescued by a right api_key: the header is what was presented.
        { body: { ...body, api_key: WRITE_KEY }, headers: { authorization: bearer('not-the-key') } },
      ];
      for (const a of attempts) {
        const res = await post(route, a.body, a.headers);
        expectError(res, 401, 'unauthorized');
        expect(res.body).not.toContain(WRITE_KEY);
      }
      expect(await storedCounts(t.db)).toEqual({ events: 0, traits: 0, users: 0, identities: 0, props: 0 });
    });
  }

  it('accepts JSON sent as text/plain (browser beacons)', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/track',
      payload: JSON.stringify({ userId: 'beacon', event: 'click' }),
      headers: { 'content-type': 'text/plain', authorization: basicAuth() },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect((await live()).map((e) => e.userId)).toEqual(['beacon']);
  });
});

describe('happy paths', () => {
  it('track stores the event with its properties and timestamp, visible in live events and the user', async () => {
    const res = await post('/v1/track', {
      userId: 'alice',
      event: 'purchase',
      properties: { price: 12.5, brand: 'acme', tags: ['a'], address: { city: 'Paris' } },
      timestamp: '2024-06-01T10:00:00+02:00',
      messageId: 'm-1',
      context: { ip: '1.2.3.4' },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ success: true, stored: 1, duplicates: 0 });

    const items = await live();
    expect(items).toEqual([
      {
        userId: 'alice',
        event: 'purchase',
        timestamp: '2024-06-01T08:00:00.000Z',
        properties: { price: 12.5, brand: 'acme', tags: ['a'], address: { city: 'Paris' } },
        receivedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      },
    ]);
    const u = await user('alice');
    expect(u).toMatchObject({ userId: 'alice', eventCount: 1, firstSeen: '2024-06-01T08:00:00.000Z', lastSeen: '2024-06-01T08:00:00.000Z', cohorts: [] });
    expect(u.recentEvents).toHaveLength(1);
  });

  it('track without a timestamp is stamped with the receive time; anonymousId and numeric ids work', async () => {
    expect((await post('/v1/track', { anonymousId: 'anon-x', event: 'view' })).statusCode).toBe(200);
    expect((await post('/v1/track', { userId: 42, event: 'view' })).statusCode).toBe(200);
    const items = await live();
    expect(items.map((e) => e.userId).sort()).toEqual(['42', 'anon-x']);
    expect(items.every((e) => e.timestamp === NOW.toISOString())).toBe(true);
    expect((await user('42')).eventCount).toBe(1);
  });

  it('identify sets traits (latest wins, null clears) and creates the user without events', async () => {
    expect((await post('/v1/identify', { userId: 'bob', traits: { plan: 'free', country: 'FR' }, timestamp: '2024-05-01T00:00:00Z' })).statusCode).toBe(200);
    expect((await post('/v1/identify', { userId: 'bob', traits: { plan: 'pro', country: null, email: 'b@x.io' }, timestamp: '2024-05-02T00:00:00Z' })).statusCode).toBe(200);
    // Older than what is known: does not win.
    expect((await post('/v1/identify', { userId: 'bob', traits: { plan: 'trial' }, timestamp: '2024-04-01T00:00:00Z' })).statusCode).toBe(200);
    const u = await user('bob');
    expect(u).toMatchObject({ userId: 'bob', properties: { plan: 'pro', email: 'b@x.io' }, eventCount: 0, recentEvents: [] });
    expect(u.properties).not.toHaveProperty('country');
    expect(await live()).toEqual([]);
  });

  it('alias makes the events of an anonymous id count for the user', async () => {
    await post('/v1/track', { anonymousId: 'anon-1', event: 'view', timestamp: '2024-06-01T01:00:00Z' });
    await post('/v1/track', { anonymousId: 'anon-1', event: 'cart', timestamp: '2024-06-01T02:00:00Z' });
    await post('/v1/track', { userId: 'carol', event: 'signup_activity', timestamp: '2024-06-01T03:00:00Z' });
    expect((await user('carol')).eventCount).toBe(1);

    const res = await post('/v1/alias', { previousId: 'anon-1', userId: 'carol' });
    expect(res.statusCode, res.body).toBe(200);
    const u = await user('carol');
    expect(u).toMatchObject({ userId: 'carol', eventCount: 3, firstSeen: '2024-06-01T01:00:00.000Z', lastSeen: '2024-06-01T03:00:00.000Z' });
    expect(u.recentEvents.map((e: { event: string }) => e.event)).toEqual(['signup_activity', 'cart', 'view']);
    // The anonymous id now resolves to the user, and later anonymous events count too.
    expect((await user('anon-1')).userId).toBe('carol');
    await post('/v1/track', { anonymousId: 'anon-1', event: 'purchase', timestamp: '2024-06-01T04:00:00Z' });
    expect((await user('carol')).eventCount).toBe(4);
    expect((await live('?userId=carol')).map((e) => e.userId)).toEqual(['carol', 'carol', 'carol', 'carol']);
  });

  it('alias of a never-seen anonymous id to a known user, and of an anonymous person to a new user id', async () => {
    await post('/v1/track', { userId: 'dave', event: 'view' });
    expect((await post('/v1/alias', { previousId: 'anon-d', userId: 'dave' })).statusCode).toBe(200);
    await post('/v1/track', { anonymousId: 'anon-d', event: 'click' });
    expect((await user('dave')).eventCount).toBe(2);

    await post('/v1/track', { anonymousId: 'anon-e', event: 'view' });
    expect((await post('/v1/alias', { previousId: 'anon-e', userId: 'erin' })).statusCode).toBe(200);
    expect(await user('erin')).toMatchObject({ userId: 'erin', eventCount: 1 });
  });

  it('batch stores track, identify and alias items, in order', async () => {
    const res = await post('/v1/batch', {
      batch: [
        { type: 'track', anonymousId: 'anon-b', event: 'view', properties: { sku: 'A' }, timestamp: '2024-06-01T00:00:00Z' },
        { type: 'identify', userId: 'frank', traits: { plan: 'pro' } },
        { type: 'alias', previousId: 'anon-b', userId: 'frank' },
        { type: 'track', userId: 'frank', event: 'purchase', properties: { sku: 'A', price: 10 }, timestamp: '2024-06-01T01:00:00Z' },
      ],
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ success: true, stored: 4, duplicates: 0 });
    expect(await user('frank')).toMatchObject({ userId: 'frank', eventCount: 2, properties: { plan: 'pro' } });
    expect((await live()).map((e) => [e.userId, e.event])).toEqual([['frank', 'purchase'], ['frank', 'view']]);
  });

  it('the Amplitude HTTP API answers in its own shape and stores events and user properties', async () => {
    const payload = JSON.stringify({
      api_key: WRITE_KEY,
      events: [
        { user_id: 'gina', event_type: 'view', time: Date.parse('2024-06-01T05:00:00Z'), event_properties: { sku: 'B' }, insert_id: 'i-1' },
        { device_id: 'dev-1', event_type: 'click', event_properties: { target: 'buy' }, user_properties: { plan: 'free', $set: { country: 'DE' } } },
        { user_id: 'gina', event_type: 'purchase', time: Date.parse('2024-06-01T06:00:00Z'), event_properties: { price: 3 }, user_properties: { plan: 'pro' } },
      ],
    });
    const before = Date.now();
    const res = await post('/2/httpapi', payload, {});
    const after = Date.now();
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(Object.keys(body).sort()).toEqual(['code', 'events_ingested', 'payload_size_bytes', 'server_upload_time']);
    expect(body).toMatchObject({ code: 200, events_ingested: 3, payload_size_bytes: Buffer.byteLength(payload) });
    expect(Number.isInteger(body.server_upload_time)).toBe(true);
    expect(body.server_upload_time).toBeGreaterThanOrEqual(before);
    expect(body.server_upload_time).toBeLessThanOrEqual(after);

    expect(await user('gina')).toMatchObject({
      userId: 'gina',
      eventCount: 2,
      properties: { plan: 'pro' },
      firstSeen: '2024-06-01T05:00:00.000Z',
      lastSeen: '2024-06-01T06:00:00.000Z',
    });
    expect(await user('dev-1')).toMatchObject({ eventCount: 1, properties: { plan: 'free', country: 'DE' } });
    const items = await live('?event=click');
    expect(items).toEqual([expect.objectContaining({ userId: 'dev-1', event: 'click', properties: { target: 'buy' }, timestamp: NOW.toISOString() })]);
  });

  it('the data shows up in /v1/event-types: predefined first, then custom, with counts, lastSeen and property types', async () => {
    await post('/v1/batch', {
      batch: [
        { type: 'track', userId: 'u1', event: 'purchase', properties: { price: 10, brand: 'x' }, timestamp: '2024-06-01T01:00:00Z' },
        { type: 'track', userId: 'u2', event: 'purchase', properties: { price: 12, gift: true, address: { city: 'Oslo' }, items: [1] }, timestamp: '2024-06-01T03:00:00Z' },
        { type: 'track', userId: 'u1', event: 'app_download', timestamp: '2024-05-30T00:00:00Z' },
        { type: 'track', userId: 'u1', event: 'wishlist', properties: { sku: 'S' }, timestamp: '2024-05-31T00:00:00Z' },
        { type: 'track', userId: 'u2', event: 'wishlist', properties: { sku: 'T' }, timestamp: '2024-05-31T02:00:00Z' },
      ],
    });
    const res = await get('/v1/event-types');
    expect(res.statusCode).toBe(200);
    const types = res.json() as { name: string; predefined: boolean; description?: string; count: number; lastSeen: string | null; properties: { name: string; type: string }[] }[];
    expect(types.slice(0, 5).map((x) => [x.name, x.predefined, x.description])).toEqual([
      ['view', true, 'user views a product'],
      ['cart', true, 'user adds a product to the cart'],
      ['purchase', true, 'user purchases a product'],
      ['signup_activity', true, 'user signs up'],
      ['click', true, 'user clicks on a target'],
    ]);
    expect(types.find((x) => x.name === 'view')).toMatchObject({ count: 0, lastSeen: null, properties: [] });
    expect(types.find((x) => x.name === 'purchase')).toEqual({
      name: 'purchase',
      predefined: true,
      description: 'user purchases a product',
      count: 2,
      lastSeen: '2024-06-01T03:00:00.000Z',
      properties: [
        { name: 'address.city', type: 'string' },
        { name: 'brand', type: 'string' },
        { name: 'gift', type: 'boolean' },
        { name: 'items', type: 'array' },
        { name: 'price', type: 'number' },
      ],
    });
    expect(types.slice(5)).toEqual([
      { name: 'wishlist', predefined: false, count: 2, lastSeen: '2024-05-31T02:00:00.000Z', properties: [{ name: 'sku', type: 'string' }] },
      { name: 'app_download', predefined: false, count: 1, lastSeen: '2024-05-30T00:00:00.000Z', properties: [] },
    ]);
    expect(types.slice(5).every((x) => !('description' in x))).toBe(true);
  });
});

describe('odd Unicode', () => {
  it('well-formed odd ids and names (emoji, RTL, zero-width, NUL) round-trip through every read', async () => {
    const odd = ['👩‍👩‍👧‍👦 family', 'مرحبا\u202e', 'zero\u200bwi\ufeffdth', 'nul\u0000inside', 'e\u0301'];
    for (const [i, name] of odd.entries()) {
      const res = await post('/v1/track', { userId: name, event: `ev ${name}`, properties: { [`k ${name}`]: i }, messageId: `m ${name}` });
      expect(res.statusCode, res.body).toBe(200);
    }
    const types = (await get('/v1/event-types')).json() as { name: string; count: number; properties: { name: string; type: string }[] }[];
    for (const [i, name] of odd.entries()) {
      const u = await user(name);
      expect(u, JSON.stringify(name)).toMatchObject({ userId: name, eventCount: 1 });
      expect(u.recentEvents[0]).toMatchObject({ event: `ev ${name}`, properties: { [`k ${name}`]: i } });
      expect(types.find((x) => x.name === `ev ${name}`), JSON.stringify(name)).toMatchObject({ count: 1, properties: [{ name: `k ${name}`, type: 'number' }] });
      expect(await live(`?event=${encodeURIComponent(`ev ${name}`)}`)).toHaveLength(1);
    }
    // Nothing leaked into other event names through the property catalog.
    expect(types.slice(5).map((x) => x.name).sort()).toEqual(odd.map((n) => `ev ${n}`).sort());
  });

  it('ids, event names and message ids with lone surrogates are refused (they could not be stored as sent)', async () => {
    const cases: [string, unknown, string][] = [
      ['/v1/track', { userId: 'u\ud800', event: 'view' }, 'userId'],
      ['/v1/track', { anonymousId: '\udc00x', event: 'view' }, 'anonymousId'],
      ['/v1/track', { userId: 'u', event: 'view\udfff' }, 'event'],
      ['/v1/track', { userId: 'u', event: 'view', messageId: 'm\ud83d' }, 'messageId'],
      ['/v1/alias', { previousId: 'a\ud800', userId: 'u' }, 'previousId'],
      ['/2/httpapi', { events: [{ user_id: 'u', event_type: 'x\ud800' }] }, 'event_type'],
    ];
    for (const [route, body, field] of cases) {
      const err = expectError(await post(route, body), 400, 'invalid_input');
      expect(err.details, `${route} ${field}`).toEqual(expect.arrayContaining([expect.objectContaining({ index: 0, field })]));
    }
    expect(await storedCounts(t.db)).toEqual({ events: 0, traits: 0, users: 0, identities: 0, props: 0 });
    // A proper surrogate pair (an emoji) is fine.
    expect((await post('/v1/track', { userId: 'u\ud83d\ude00', event: 'view' })).statusCode).toBe(200);
    expect((await user('u😀')).eventCount).toBe(1);
  });
});

describe('all or nothing', () => {
  it('one invalid event in a batch rejects the request with details and stores nothing', async () => {
    const before = await storedCounts(t.db);
    const res = await post('/v1/batch', {
      batch: [
        { type: 'track', userId: 'u1', event: 'view' },
        { type: 'identify', userId: 'u1', traits: { plan: 'pro' } },
        { type: 'track', userId: 'u2' },
        { type: 'alias', previousId: 'a', userId: 'u1' },
        { type: 'track', userId: 'u3', event: 'view', properties: 'not an object' },
      ],
    });
    const err = expectError(res, 400, 'invalid_input');
    const details = err.details as { index: number; field: string; message: string }[];
    expect(Array.isArray(details)).toBe(true);
    for (const d of details) expect(d).toEqual({ index: expect.any(Number), field: expect.any(String), message: expect.any(String) });
    expect(details).toEqual(expect.arrayContaining([expect.objectContaining({ index: 2, field: 'event' }), expect.objectContaining({ index: 4, field: 'properties' })]));
    expect(new Set(details.map((d) => d.index))).toEqual(new Set([2, 4]));
    expect(await storedCounts(t.db)).toEqual(before);
    expect(await live()).toEqual([]);
    expect((await get('/v1/users/u1')).statusCode).toBe(404);
  });

  it('names the problem of each kind of invalid item', async () => {
    const cases: [unknown, string][] = [
      [{ type: 'track', event: 'view' }, 'userId'],
      [{ type: 'page', userId: 'u', event: 'x' }, 'type'],
      [{ type: 'track', userId: '', event: 'view' }, 'userId'],
      [{ type: 'track', userId: 'u', event: '   ' }, 'event'],
      [{ type: 'track', userId: 'u', event: 'view', timestamp: 'yesterday' }, 'timestamp'],
      [{ type: 'alias', previousId: 'a' }, 'userId'],
      [{ type: 'track', userId: 'u', event: 'view', properties: [1, 2] }, 'properties'],
    ];
    for (const [item, field] of cases) {
      const res = await post('/v1/batch', { batch: [{ type: 'track', userId: 'ok', event: 'view' }, item] });
      const err = expectError(res, 400, 'invalid_input');
      expect(err.details, JSON.stringify(item)).toEqual(expect.arrayContaining([expect.objectContaining({ index: 1, field })]));
    }
    expect((await storedCounts(t.db)).events).toBe(0);
  });

  it('an invalid Amplitude event rejects the whole request', async () => {
    const res = await post('/2/httpapi', {
      api_key: WRITE_KEY,
      events: [
        { user_id: 'u1', event_type: 'view' },
        { user_id: 'u1', event_type: 'view', time: 'noon' },
        { event_type: 'view' },
      ],
    }, {});
    const err = expectError(res, 400, 'invalid_input');
    expect(err.details).toEqual(expect.arrayContaining([
      { index: 1, field: 'time', message: expect.any(String) },
      { index: 2, field: 'user_id', message: expect.any(String) },
    ]));
    expect(await storedCounts(t.db)).toMatchObject({ events: 0, users: 0 });
  });

  it('single-event routes answer 400 with details too', async () => {
    expectError(await post('/v1/track', { userId: 'u' }), 400, 'invalid_input');
    expectError(await post('/v1/identify', { traits: { a: 1 } }), 400, 'invalid_input');
    const a = expectError(await post('/v1/alias', { previousId: 'x' }), 400, 'invalid_input');
    expect(a.details).toEqual([{ index: 0, field: 'userId', message: expect.any(String) }]);
    expectError(await post('/v1/batch', { batch: { type: 'track' } }), 400, 'invalid_input');
    expectError(await post('/2/httpapi', { events: 'nope' }), 400, 'invalid_input');
    expectError(await post('/v1/track', '[1,2]'), 400);
    expectError(await post('/v1/track', '{"userId":'), 400, 'invalid_json');
    expect(await storedCounts(t.db)).toEqual({ events: 0, traits: 0, users: 0, identities: 0, props: 0 });
  });
});

describe('deduplication', () => {
  it('a repeated messageId of the same user is accepted and stored once', async () => {
    const body = { userId: 'u1', event: 'purchase', messageId: 'msg-1', properties: { price: 1 } };
    expect((await post('/v1/track', body)).json()).toMatchObject({ stored: 1, duplicates: 0 });
    const again = await post('/v1/track', body);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ success: true, stored: 0, duplicates: 1 });
    const inBatch = await post('/v1/batch', { batch: [{ type: 'track', ...body }, { type: 'track', ...body, messageId: 'msg-2' }, { type: 'track', ...body, messageId: 'msg-2' }] });
    expect(inBatch.json()).toMatchObject({ stored: 1, duplicates: 2 });
    expect(await live()).toHaveLength(2);
    expect((await user('u1')).eventCount).toBe(2);
  });

  it('the same messageId of another user is a different event', async () => {
    await post('/v1/track', { userId: 'u1', event: 'view', messageId: 'same' });
    const res = await post('/v1/track', { userId: 'u2', event: 'view', messageId: 'same' });
    expect(res.json()).toMatchObject({ stored: 1, duplicates: 0 });
    expect(await live()).toHaveLength(2);
  });

  it('a repeated insert_id is accepted and stored once', async () => {
    const events = [{ user_id: 'amp', event_type: 'view', insert_id: 'ins-1' }, { user_id: 'amp', event_type: 'view', insert_id: 'ins-2' }];
    expect((await post('/2/httpapi', { api_key: WRITE_KEY, events }, {})).statusCode).toBe(200);
    const again = await post('/2/httpapi', { api_key: WRITE_KEY, events: [...events, { user_id: 'amp', event_type: 'view', insert_id: 'ins-3' }] }, {});
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ code: 200, events_ingested: 3 });
    expect((await user('amp')).eventCount).toBe(3);
    // Numeric ids are ids too.
    await post('/2/httpapi', { api_key: WRITE_KEY, events: [{ user_id: 'amp', event_type: 'view', insert_id: 7 }] }, {});
    await post('/2/httpapi', { api_key: WRITE_KEY, events: [{ user_id: 'amp', event_type: 'view', insert_id: '7' }] }, {});
    expect((await user('amp')).eventCount).toBe(4);
  });
});

describe('limits', () => {
  it('a body over 1 MiB is 413 in the error shape', async () => {
    const body = JSON.stringify({ userId: 'u', event: 'view', properties: { blob: 'x'.repeat(1024 * 1024) } });
    const res = await post('/v1/track', body);
    expectError(res, 413, 'payload_too_large');
    for (const route of INGEST_ROUTES) {
      const big = JSON.stringify({ ...validBody(route), pad: 'y'.repeat(1024 * 1024 + 1) });
      expectError(await post(route, big), 413, 'payload_too_large');
    }
    expect((await storedCounts(t.db)).events).toBe(0);
  });

  it('an event over 32 KiB is 413, even alone in a small batch, and nothing of the batch is stored', async () => {
    const huge = { type: 'track', userId: 'u', event: 'view', properties: { blob: 'x'.repeat(33 * 1024) } };
    const res = await post('/v1/batch', { batch: [{ type: 'track', userId: 'u', event: 'view' }, huge] });
    const err = expectError(res, 413, 'payload_too_large');
    expect(err.details).toEqual(expect.arrayContaining([expect.objectContaining({ index: 1 })]));
    expectError(await post('/v1/track', { userId: 'u', event: 'view', properties: { blob: 'x'.repeat(33 * 1024) } }), 413, 'payload_too_large');
    expectError(await post('/2/httpapi', { api_key: WRITE_KEY, events: [{ user_id: 'u', event_type: 'view', event_properties: { blob: 'é'.repeat(17 * 1024) } }] }, {}), 413, 'payload_too_large');
    expect(await storedCounts(t.db)).toEqual({ events: 0, traits: 0, users: 0, identities: 0, props: 0 });
    // Just under the limit is fine.
    const ok = await post('/v1/track', { userId: 'u', event: 'view', properties: { blob: 'x'.repeat(31 * 1024) } });
    expect(ok.statusCode, ok.body).toBe(200);
  });

  it('2,000 events are accepted; 2,001 are 413 and nothing is stored', async () => {
    const item = (i: number) => ({ type: 'track', userId: `u${i % 10}`, event: 'click' });
    const over = await post('/v1/batch', { batch: Array.from({ length: 2001 }, (_, i) => item(i)) });
    expectError(over, 413, 'payload_too_large');
    const overAmp = await post('/2/httpapi', { api_key: WRITE_KEY, events: Array.from({ length: 2001 }, (_, i) => ({ user_id: `u${i % 10}`, event_type: 'click' })) }, {});
    expectError(overAmp, 413, 'payload_too_large');
    expect((await storedCounts(t.db)).events).toBe(0);

    const ok = await post('/v1/batch', { batch: Array.from({ length: 2000 }, (_, i) => item(i)) });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json()).toMatchObject({ stored: 2000 });
    expect((await storedCounts(t.db)).events).toBe(2000);
  });

  it('a timestamp more than 1 day in the future is 400; within a day is accepted', async () => {
    const tooLate = new Date(NOW.getTime() + 24 * HOUR + 1000).toISOString();
    const fine = new Date(NOW.getTime() + 23 * HOUR).toISOString();
    const r1 = expectError(await post('/v1/track', { userId: 'u', event: 'view', timestamp: tooLate }), 400, 'invalid_input');
    expect(r1.details).toEqual([{ index: 0, field: 'timestamp', message: expect.stringContaining('future') }]);
    const r2 = expectError(await post('/v1/batch', { batch: [{ type: 'track', userId: 'u', event: 'view', timestamp: fine }, { type: 'identify', userId: 'u', traits: { a: 1 }, timestamp: tooLate }] }), 400);
    expect(r2.details).toEqual([{ index: 1, field: 'timestamp', message: expect.any(String) }]);
    const r3 = expectError(await post('/2/httpapi', { api_key: WRITE_KEY, events: [{ user_id: 'u', event_type: 'view', time: NOW.getTime() + 48 * HOUR }] }, {}), 400);
    expect(r3.details).toEqual([{ index: 0, field: 'time', message: expect.any(String) }]);
    expectError(await post('/v1/alias', { previousId: 'a', userId: 'u', timestamp: tooLate }), 400);
    expect(await storedCounts(t.db)).toEqual({ events: 0, traits: 0, users: 0, identities: 0, props: 0 });

    expect((await post('/v1/track', { userId: 'u', event: 'view', timestamp: fine })).statusCode).toBe(200);
    expect((await live())[0].timestamp).toBe(fine);
  });
});

describe('Amplitude user_properties', () => {
  it('refuses a $set that is not an object instead of inventing traits', async () => {
    const t = await createTestApp();
    try {
      const r = await t.app.inject({
        method: 'POST',
        url: '/2/httpapi',
        payload: { api_key: WRITE_KEY, events: [{ user_id: 'amp-1', event_type: 'view', user_properties: { $set: ['a', 'b'] } }] },
      });
      expect(r.statusCode).toBe(400);
      expect(r.json().error.details).toEqual([{ index: 0, field: 'user_properties.$set', message: 'must be an object of properties' }]);
    } finally {
      await t.close();
    }
  });
});
