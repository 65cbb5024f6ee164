import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ADMIN_TOKEN,
  WRITE_KEY,
  adminHeaders,
  basicAuth,
  bearer,
  createTestApp,
  expectError,
  type TestApp,
} from '../../test/support/test-app.js';

let t: TestApp;
beforeEach(async () => {
  t = await createTestApp();
});
afterEach(async () => {
  await t.close();
});

const post = (url: string, body: unknown) =>
  t.app.inject({ method: 'POST', url, payload: JSON.stringify(body), headers: { 'content-type': 'application/json', authorization: basicAuth() } });
const get = (url: string, headers: Record<string, string> = adminHeaders) => t.app.inject({ method: 'GET', url, headers });

async function seed() {
  const res = await post('/v1/batch', {
    batch: [
      { type: 'track', userId: 'ann', event: 'view', properties: { sku: 'A' }, timestamp: '2024-01-01T00:00:00Z' },
      { type: 'track', userId: 'ben', event: 'view', properties: { sku: 'B' }, timestamp: '2024-01-02T00:00:00Z' },
      { type: 'track', userId: 'ann', event: 'purchase', properties: { price: 5 }, timestamp: '2024-01-03T00:00:00Z' },
      { type: 'track', userId: 'ben', event: 'cart', timestamp: '2024-01-04T00:00:00Z' },
      { type: 'identify', userId: 'ann', traits: { plan: 'pro', email: 'ann@example.com' } },
    ],
  });
  expect(res.statusCode, res.body).toBe(200);
  // Separate requests, so commit order (what "newest first" follows) is known.
  expect((await post('/v1/track', { userId: 'ann', event: 'view', properties: { sku: 'C' }, timestamp: '2024-01-05T00:00:00Z' })).statusCode).toBe(200);
}

describe('admin token on management routes', () => {
  const routes = ['/v1/event-types', '/v1/events/live', '/v1/users/ann', '/v1/events/stream'];

  it.each(routes)('%s answers 401 in the error shape without a valid admin token', async (route) => {
    await seed();
    const bad: Record<string, string>[] = [
      {},
      { authorization: bearer('wrong-token') },
      { authorization: bearer(WRITE_KEY) },
      { authorization: basicAuth(ADMIN_TOKEN) },
      { authorization: ADMIN_TOKEN },
      { authorization: `Bearer ${ADMIN_TOKEN.slice(0, -1)}` },
    ];
    for (const headers of bad) {
      const res = await get(route, headers);
      expectError(res, 401, 'unauthorized');
      expect(res.body).not.toContain(ADMIN_TOKEN);
    }
  });

  it('?token= is accepted nowhere, the stream included (tokens in URLs end up in logs; browsers use their session cookie)', async () => {
    for (const route of routes) {
      expectError(await get(`${route}?token=${ADMIN_TOKEN}`, {}), 401, 'unauthorized');
    }
  });

  it('/healthz needs no credentials', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ ok: true, version: '0.0.0-test' });
  });

  it('an unknown route is a 404 in the error shape', async () => {
    expectError(await get('/v1/nope'), 404, 'not_found');
  });
});

describe('GET /v1/events/live', () => {
  it('lists events newest first with the documented fields', async () => {
    await seed();
    const res = await get('/v1/events/live');
    expect(res.statusCode).toBe(200);
    const { items } = res.json();
    expect(items.map((e: { userId: string; event: string }) => `${e.userId}:${e.event}`)).toEqual(['ann:view', 'ben:cart', 'ann:purchase', 'ben:view', 'ann:view']);
    expect(items[0]).toEqual({
      userId: 'ann',
      event: 'view',
      timestamp: '2024-01-05T00:00:00.000Z',
      properties: { sku: 'C' },
      receivedAt: expect.stringMatching(/Z$/),
    });
    expect(items[3].properties).toEqual({ sku: 'B' });
    expect(items[1].properties).toEqual({});
  });

  it('filters by event, by userId and both; limit caps the list', async () => {
    await seed();
    const names = async (q: string) => (await get(`/v1/events/live${q}`)).json().items.map((e: { userId: string; event: string; properties: { sku?: string } }) => `${e.userId}:${e.event}${e.properties.sku ? `:${e.properties.sku}` : ''}`);
    expect(await names('?event=view')).toEqual(['ann:view:C', 'ben:view:B', 'ann:view:A']);
    expect(await names('?userId=ben')).toEqual(['ben:cart', 'ben:view:B']);
    expect(await names('?event=view&userId=ann')).toEqual(['ann:view:C', 'ann:view:A']);
    expect(await names('?event=signup_activity')).toEqual([]);
    expect(await names('?userId=nobody')).toEqual([]);
    expect(await names('?limit=2')).toEqual(['ann:view:C', 'ben:cart']);
    expect(await names('?limit=1&event=view')).toEqual(['ann:view:C']);
    expect(await names('?limit=1000')).toHaveLength(5);
  });

  it('defaults to 50 items', async () => {
    await post('/v1/batch', { batch: Array.from({ length: 60 }, (_, i) => ({ type: 'track', userId: `u${i}`, event: 'click' })) });
    const { items } = (await get('/v1/events/live')).json();
    expect(items).toHaveLength(50);
  });

  it.each(['limit=0', 'limit=1001', 'limit=-1', 'limit=abc', 'limit=1.5', 'event=', 'userId='])('rejects %s with a 400 naming the field', async (q) => {
    const res = await get(`/v1/events/live?${q}`);
    const err = expectError(res, 400, 'invalid_input');
    expect(err.details).toEqual(expect.arrayContaining([expect.objectContaining({ field: q.split('=')[0], message: expect.any(String) })]));
  });
});

describe('GET /v1/users/:userId', () => {
  it('returns the profile: traits, first and last seen, count, recent events newest first, cohorts', async () => {
    await seed();
    const res = await get('/v1/users/ann');
    expect(res.statusCode).toBe(200);
    const u = res.json();
    expect(u).toEqual({
      userId: 'ann',
      properties: { plan: 'pro', email: 'ann@example.com' },
      firstSeen: '2024-01-01T00:00:00.000Z',
      lastSeen: '2024-01-05T00:00:00.000Z',
      eventCount: 3,
      recentEvents: [
        expect.objectContaining({ event: 'view', timestamp: '2024-01-05T00:00:00.000Z', properties: { sku: 'C' }, userId: 'ann' }),
        expect.objectContaining({ event: 'purchase', timestamp: '2024-01-03T00:00:00.000Z', properties: { price: 5 } }),
        expect.objectContaining({ event: 'view', timestamp: '2024-01-01T00:00:00.000Z' }),
      ],
      cohorts: [],
    });
  });

  it('an unknown user is a 404 in the error shape', async () => {
    await seed();
    const err = expectError(await get('/v1/users/zed'), 404, 'not_found');
    expect(err.message).toContain('zed');
    expectError(await get(`/v1/users/${encodeURIComponent('ann ')}`), 404, 'not_found');
  });

  it('user ids with URL-significant characters round-trip', async () => {
    const id = 'mail+tag@example.com/ü 1';
    expect((await post('/v1/track', { userId: id, event: 'view' })).statusCode).toBe(200);
    const res = await get(`/v1/users/${encodeURIComponent(id)}`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ userId: id, eventCount: 1 });
  });
});

describe('GET /v1/events/stream (Server-Sent Events)', () => {
  interface SseMessage {
    id?: string;
    event?: string;
    data?: string;
  }

  /** Opens the stream on a listening app and yields parsed SSE messages (comments skipped). */
  async function openStream(base: string, path: string, headers: Record<string, string> = {}) {
    const abort = new AbortController();
    const res = await fetch(`${base}${path}`, { headers, signal: abort.signal });
    let buffer = '';
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let comments = 0;
    async function next(): Promise<SseMessage> {
      for (;;) {
        const end = buffer.indexOf('\n\n');
        if (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const msg: SseMessage = {};
          let onlyComments = true;
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) continue;
            onlyComments = false;
            const i = line.indexOf(':');
            const key = line.slice(0, i) as keyof SseMessage;
            msg[key] = (msg[key] ? `${msg[key]}\n` : '') + line.slice(i + 1).replace(/^ /, '');
          }
          if (onlyComments) {
            comments++;
            continue;
          }
          return msg;
        }
        const { value, done } = await reader.read();
        if (done) throw new Error('stream ended');
        buffer += decoder.decode(value, { stream: true });
      }
    }
    /** Resolves once the server has sent its first comment (the subscription is live). */
    async function connected(): Promise<void> {
      while (comments === 0 && !buffer.startsWith(': connected')) {
        const { value, done } = await reader.read();
        if (done) throw new Error('stream ended');
        buffer += decoder.decode(value, { stream: true });
      }
    }
    return { res, next, connected, close: () => abort.abort() };
  }

  let base: string;
  beforeEach(async () => {
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const addr = t.app.server.address();
    base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  });

  it('delivers an event tracked after connecting as an SSE message (Bearer header)', async () => {
    const s = await openStream(base, '/v1/events/stream', { authorization: bearer(ADMIN_TOKEN) });
    try {
      expect(s.res.status).toBe(200);
      expect(s.res.headers.get('content-type')).toMatch(/^text\/event-stream/);
      await s.connected();
      const r = await fetch(`${base}/v1/track`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: basicAuth() },
        body: JSON.stringify({ userId: 'sse-user', event: 'purchase', properties: { price: 9 }, timestamp: '2024-02-02T00:00:00Z' }),
      });
      expect(r.status).toBe(200);
      const msg = await s.next();
      expect(msg.event).toBe('event');
      expect(msg.id).toMatch(/^\d+$/);
      expect(JSON.parse(msg.data!)).toEqual({
        userId: 'sse-user',
        event: 'purchase',
        timestamp: '2024-02-02T00:00:00.000Z',
        properties: { price: 9 },
        receivedAt: expect.any(String),
      });
    } finally {
      s.close();
    }
  });

  it('applies the event / userId filters', async () => {
    const s = await openStream(base, '/v1/events/stream?event=cart&userId=u2', { authorization: bearer(ADMIN_TOKEN) });
    try {
      expect(s.res.status).toBe(200);
      await s.connected();
      const r = await t.app.inject({
        method: 'POST',
        url: '/v1/batch',
        headers: { 'content-type': 'application/json', authorization: basicAuth() },
        payload: JSON.stringify({
          batch: [
            { type: 'track', userId: 'u1', event: 'cart' },
            { type: 'track', userId: 'u2', event: 'view' },
            { type: 'track', userId: 'u2', event: 'cart', properties: { n: 1 } },
          ],
        }),
      });
      expect(r.statusCode).toBe(200);
      await post('/v1/track', { userId: 'u2', event: 'cart', properties: { n: 2 } });
      const first = JSON.parse((await s.next()).data!);
      const second = JSON.parse((await s.next()).data!);
      expect([first, second].map((e) => [e.userId, e.event, e.properties.n])).toEqual([
        ['u2', 'cart', 1],
        ['u2', 'cart', 2],
      ]);
    } finally {
      s.close();
    }
  });

  it('a wrong or missing token is 401 in the error shape, before any stream starts', async () => {
    for (const [path, headers] of [
      [`/v1/events/stream?token=wrong`, {}],
      [`/v1/events/stream`, {}],
      [`/v1/events/stream`, { authorization: bearer('wrong') }],
      [`/v1/events/stream?token=${WRITE_KEY}`, {}],
      [`/v1/events/stream?token=${encodeURIComponent(ADMIN_TOKEN)}`, {}],
    ] as [string, Record<string, string>][]) {
      const res = await fetch(`${base}${path}`, { headers });
      expect(res.status).toBe(401);
      expect(res.headers.get('content-type')).toMatch(/application\/json/);
      expect(await res.json()).toEqual({ error: { code: 'unauthorized', message: expect.any(String) } });
    }
  });

  it('rejects invalid filters with 400', async () => {
    const res = await fetch(`${base}/v1/events/stream?event=`, { headers: { authorization: bearer(ADMIN_TOKEN) } });
    expect(res.status).toBe(400);
    expect((await res.json()).error.code).toBe('invalid_input');
  });
});

describe('long user ids', () => {
  it('reads a user whose id is the longest allowed, even percent-encoded', async () => {
    const t = await createTestApp();
    try {
      const userId = '\u00e9'.repeat(1000) + '/?#';
      const r = await t.app.inject({ method: 'POST', url: '/v1/track', payload: { userId, event: 'view' }, headers: { authorization: basicAuth() } });
      expect(r.statusCode).toBe(200);
      const u = await t.app.inject({ method: 'GET', url: `/v1/users/${encodeURIComponent(userId)}`, headers: adminHeaders });
      expect(u.statusCode).toBe(200);
      expect(u.json().userId).toBe(userId);
    } finally {
      await t.close();
    }
  });
});

describe('framework errors', () => {
  it('answers a malformed URL and an over-long id in the error shape', async () => {
    const t = await createTestApp();
    try {
      for (const url of ['/v1/users/%E0%A4%A', `/v1/users/${'x'.repeat(20_000)}`]) {
        const r = await t.app.inject({ method: 'GET', url, headers: adminHeaders });
        expect(r.statusCode).toBeGreaterThanOrEqual(400);
        expect(r.statusCode).toBeLessThan(500);
        expect(r.json().error.code).toBe('bad_request');
      }
    } finally {
      await t.close();
    }
  });
});
