import { describe, expect, it } from 'vitest';
import {
  ADMIN_TOKEN,
  AMPLITUDE_ROUTES,
  INGEST_ROUTES,
  WRITE_KEY,
  expectAmplitudeError,
  expectRouteError,
  basicAuth,
  bearer,
  expectError,
  useIngestApp,
  storedCounts,
  validBody,
  type IngestRoute,
} from '../../test/support/test-app.js';

/** Fixed receive time, so "more than 1 day in the future" is exact. */
const NOW = new Date('2024-06-01T12:00:00.000Z');

const { t, post, get, live, user } = useIngestApp(NOW);

describe('write key', () => {
  const forms: [string, (route: IngestRoute, n: number) => { body: unknown; headers: Record<string, string> }][] = [
    ['Basic base64(key + ":")', (r, n) => ({ body: validBody(r, n), headers: { authorization: basicAuth() } })],
    ['Bearer key', (r, n) => ({ body: validBody(r, n), headers: { authorization: bearer(WRITE_KEY) } })],
    ['api_key in the body', (r, n) => ({ body: { ...validBody(r, n), api_key: WRITE_KEY }, headers: {} })],
  ];

  for (const route of INGEST_ROUTES) {
    it.each(forms)(`${route} accepts the key as %s`, async (_name, make) => {
      const before = await storedCounts(t().db);
      const { body, headers } = make(route, 1);
      const res = await post(route, body, headers);
      expect(res.statusCode, res.body).toBe(200);
      const after = await storedCounts(t().db);
      expect(after).not.toEqual(before);
    });

    const amplitude = AMPLITUDE_ROUTES.includes(route);
    const refusal = amplitude ? '400 in Amplitude\'s shape (Invalid API key / missing_field api_key)' : '401 in the error shape';
    it(`${route} answers ${refusal} for a missing or wrong key, storing nothing`, async () => {
      const body = validBody(route, 2);
      const attempts: { body: unknown; headers: Record<string, string>; missing: boolean }[] = [
        { body, headers: {}, missing: true },
        { body, headers: { authorization: basicAuth('not-the-key') }, missing: false },
        { body, headers: { authorization: `Basic ${Buffer.from(`:${WRITE_KEY}`).toString('base64')}` }, missing: true },
        { body, headers: { authorization: bearer('not-the-key') }, missing: false },
        { body, headers: { authorization: bearer(ADMIN_TOKEN) }, missing: false },
        { body, headers: { authorization: `Bearer ${WRITE_KEY}x` }, missing: false },
        { body, headers: { authorization: WRITE_KEY }, missing: true },
        { body: { ...body, api_key: 'not-the-key' }, headers: {}, missing: false },
        { body: { ...body, api_key: '' }, headers: {}, missing: true },
        { body: { ...body, api_key: 12345 }, headers: {}, missing: true },
        // A wrong header is not rescued by a right api_key: the header is what was presented.
        { body: { ...body, api_key: WRITE_KEY }, headers: { authorization: bearer('not-the-key') }, missing: false },
      ];
      for (const a of attempts) {
        const res = await post(route, a.body, a.headers);
        if (amplitude) {
          // Amplitude's SDK drops a batch refused for its key instead of retrying it forever.
          const err = expectAmplitudeError(res, 400);
          if (a.missing) expect(err.missing_field, res.body).toBe('api_key');
          else expect(err.error, res.body).toMatch(/^Invalid API key: /);
        } else {
          expectError(res, 401, 'unauthorized');
        }
        expect(res.body).not.toContain(WRITE_KEY);
      }
      expect(await storedCounts(t().db)).toEqual({ events: 0, traits: 0, users: 0, identities: 0, props: 0 });
    });
  }

  it('accepts JSON sent as text/plain (browser beacons)', async () => {
    const res = await t().app.inject({
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
      const err = expectRouteError(route, await post(route, body), 400, 'invalid_input');
      expect(err.details, `${route} ${field}`).toEqual(expect.arrayContaining([expect.objectContaining({ index: 0, field })]));
    }
    expect(await storedCounts(t().db)).toEqual({ events: 0, traits: 0, users: 0, identities: 0, props: 0 });
    // A proper surrogate pair (an emoji) is fine.
    expect((await post('/v1/track', { userId: 'u\ud83d\ude00', event: 'view' })).statusCode).toBe(200);
    expect((await user('u😀')).eventCount).toBe(1);
  });
});
