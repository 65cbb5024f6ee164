import { describe, expect, it } from 'vitest';
import {
  INGEST_ROUTES,
  WRITE_KEY,
  expectAmplitudeError,
  expectError,
  expectRouteError,
  useIngestApp,
  storedCounts,
  validBody,
} from '../../test/support/test-app.js';

// Ingestion rules of api.md: all or nothing, deduplication, limits, Amplitude traits.

/** Fixed receive time, so "more than 1 day in the future" is exact. */
const NOW = new Date('2024-06-01T12:00:00.000Z');
const HOUR = 3_600_000;

const { t, post, get, live, user } = useIngestApp(NOW);

describe('all or nothing', () => {
  it('one invalid event in a batch rejects the request with details and stores nothing', async () => {
    const before = await storedCounts(t().db);
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
    expect(await storedCounts(t().db)).toEqual(before);
    expect(await live()).toEqual([]);
    expect((await get('/v1/users/u1')).statusCode).toBe(404);
  });

  it('names the problem of each kind of invalid item', async () => {
    const cases: [unknown, string][] = [
      [{ type: 'track', event: 'view' }, 'userId'],
      [{ type: 'pageview', userId: 'u', event: 'x' }, 'type'],
      [{ type: 'page', userId: 'u', properties: 'x' }, 'properties'],
      [{ type: 'group', userId: 'u' }, 'groupId'],
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
    expect((await storedCounts(t().db)).events).toBe(0);
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
    const err = expectAmplitudeError(res, 400);
    expect(err.details).toEqual(expect.arrayContaining([
      { index: 1, field: 'time', message: expect.any(String) },
      { index: 2, field: 'user_id', message: expect.any(String) },
    ]));
    expect(err.events_with_invalid_fields).toEqual({ time: [1] });
    expect(err.events_with_missing_fields).toEqual({ user_id: [2] });
    expect(await storedCounts(t().db)).toMatchObject({ events: 0, users: 0 });
  });

  it('single-event routes answer 400 with details too', async () => {
    expectError(await post('/v1/track', { userId: 'u' }), 400, 'invalid_input');
    expectError(await post('/v1/identify', { traits: { a: 1 } }), 400, 'invalid_input');
    const a = expectError(await post('/v1/alias', { previousId: 'x' }), 400, 'invalid_input');
    expect(a.details).toEqual([{ index: 0, field: 'userId', message: expect.any(String) }]);
    expectError(await post('/v1/batch', { batch: { type: 'track' } }), 400, 'invalid_input');
    expect(expectAmplitudeError(await post('/2/httpapi', { events: 'nope' }), 400).details).toEqual([{ field: 'events', message: expect.any(String) }]);
    expect(expectAmplitudeError(await post('/2/httpapi', {}), 400).missing_field).toBe('events');
    expectError(await post('/v1/track', '[1,2]'), 400);
    expectError(await post('/v1/track', '{"userId":'), 400, 'invalid_json');
    expect(await storedCounts(t().db)).toEqual({ events: 0, traits: 0, users: 0, identities: 0, props: 0 });
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
      expectRouteError(route, await post(route, big), 413, 'payload_too_large');
    }
    expect((await storedCounts(t().db)).events).toBe(0);
  });

  it('an event over 32 KiB is 413, even alone in a small batch, and nothing of the batch is stored', async () => {
    const huge = { type: 'track', userId: 'u', event: 'view', properties: { blob: 'x'.repeat(33 * 1024) } };
    const res = await post('/v1/batch', { batch: [{ type: 'track', userId: 'u', event: 'view' }, huge] });
    const err = expectError(res, 413, 'payload_too_large');
    expect(err.details).toEqual(expect.arrayContaining([expect.objectContaining({ index: 1 })]));
    expectError(await post('/v1/track', { userId: 'u', event: 'view', properties: { blob: 'x'.repeat(33 * 1024) } }), 413, 'payload_too_large');
    const amp = expectAmplitudeError(await post('/2/httpapi', { api_key: WRITE_KEY, events: [{ user_id: 'u', event_type: 'view', event_properties: { blob: 'é'.repeat(17 * 1024) } }] }, {}), 413);
    expect(amp.details).toEqual([expect.objectContaining({ index: 0 })]);
    expect(await storedCounts(t().db)).toEqual({ events: 0, traits: 0, users: 0, identities: 0, props: 0 });
    // Just under the limit is fine.
    const ok = await post('/v1/track', { userId: 'u', event: 'view', properties: { blob: 'x'.repeat(31 * 1024) } });
    expect(ok.statusCode, ok.body).toBe(200);
  });

  it('2,000 events are accepted; 2,001 are 413 and nothing is stored', async () => {
    const item = (i: number) => ({ type: 'track', userId: `u${i % 10}`, event: 'click' });
    const over = await post('/v1/batch', { batch: Array.from({ length: 2001 }, (_, i) => item(i)) });
    expectError(over, 413, 'payload_too_large');
    const overAmp = await post('/2/httpapi', { api_key: WRITE_KEY, events: Array.from({ length: 2001 }, (_, i) => ({ user_id: `u${i % 10}`, event_type: 'click' })) }, {});
    expectAmplitudeError(overAmp, 413);
    expect((await storedCounts(t().db)).events).toBe(0);

    const ok = await post('/v1/batch', { batch: Array.from({ length: 2000 }, (_, i) => item(i)) });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json()).toMatchObject({ stored: 2000 });
    expect((await storedCounts(t().db)).events).toBe(2000);
  });

  it('a timestamp more than 1 day in the future is 400; within a day is accepted', async () => {
    const tooLate = new Date(NOW.getTime() + 24 * HOUR + 1000).toISOString();
    const fine = new Date(NOW.getTime() + 23 * HOUR).toISOString();
    const r1 = expectError(await post('/v1/track', { userId: 'u', event: 'view', timestamp: tooLate }), 400, 'invalid_input');
    expect(r1.details).toEqual([{ index: 0, field: 'timestamp', message: expect.stringContaining('future') }]);
    const r2 = expectError(await post('/v1/batch', { batch: [{ type: 'track', userId: 'u', event: 'view', timestamp: fine }, { type: 'identify', userId: 'u', traits: { a: 1 }, timestamp: tooLate }] }), 400);
    expect(r2.details).toEqual([{ index: 1, field: 'timestamp', message: expect.any(String) }]);
    const r3 = expectAmplitudeError(await post('/2/httpapi', { api_key: WRITE_KEY, events: [{ user_id: 'u', event_type: 'view', time: NOW.getTime() + 48 * HOUR }] }, {}), 400);
    expect(r3.details).toEqual([{ index: 0, field: 'time', message: expect.any(String) }]);
    expect(r3.events_with_invalid_fields).toEqual({ time: [0] });
    expectError(await post('/v1/alias', { previousId: 'a', userId: 'u', timestamp: tooLate }), 400);
    expect(await storedCounts(t().db)).toEqual({ events: 0, traits: 0, users: 0, identities: 0, props: 0 });

    expect((await post('/v1/track', { userId: 'u', event: 'view', timestamp: fine })).statusCode).toBe(200);
    expect((await live())[0].timestamp).toBe(fine);
  });
});

describe('Amplitude user_properties', () => {
  it('refuses a $set that is not an object instead of inventing traits', async () => {
    const r = await t().app.inject({
      method: 'POST',
      url: '/2/httpapi',
      payload: { api_key: WRITE_KEY, events: [{ user_id: 'amp-1', event_type: 'view', user_properties: { $set: ['a', 'b'] } }] },
    });
    const err = expectAmplitudeError(r, 400);
    expect(err.details).toEqual([{ index: 0, field: 'user_properties.$set', message: 'must be an object of properties' }]);
    expect(err.events_with_invalid_fields).toEqual({ user_properties: [0] });
    expect(await storedCounts(t().db)).toEqual({ events: 0, traits: 0, users: 0, identities: 0, props: 0 });
  });
});
