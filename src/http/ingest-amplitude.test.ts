import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WRITE_KEY, expectAmplitudeError, storedCounts, useIngestApp } from '../../test/support/test-app.js';
import { ServiceError } from '../services/errors.js';
import { createIngestService } from '../services/ingest.js';
import { openDatabase } from '../storage/duckdb/database.js';
import { openDuckDBEventStore } from '../storage/duckdb/duckdb-event-store.js';
import { amplitudeError } from './amplitude-routes.js';

// Amplitude's response shapes, identify operations, Batch and Identify APIs (api.md, Ingestion).

const NOW = new Date('2024-06-01T12:00:00.000Z');
const at = (iso: string) => Date.parse(iso);

const { t, post, live, user } = useIngestApp(NOW);
const amp = (events: unknown[], url = '/2/httpapi') => post(url, { api_key: WRITE_KEY, events }, {});
const identify = (userId: string, userProperties: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  amp([{ user_id: userId, event_type: '$identify', user_properties: userProperties, ...extra }]);
const props = async (id: string) => (await user(id)).properties as Record<string, unknown>;

describe('Amplitude response shapes', () => {
  it('400 lists the invalid and the missing fields per event index, so the SDK drops only those; nothing is stored', async () => {
    const res = await amp([
      { user_id: 'ok-1', event_type: 'view' },
      { user_id: 'bad-1', event_type: 'view', time: 'noon' },
      { event_type: 'view' },
      { user_id: 'ok-2', event_type: 'view' },
      { user_id: 'bad-2' },
      { user_id: 'bad-3', event_type: 'view', event_properties: [1] },
      { user_id: 'bad-4', event_type: 'view', user_properties: { $add: { n: 'x' } } },
    ]);
    const err = expectAmplitudeError(res, 400);
    expect(err.events_with_invalid_fields).toEqual({ time: [1], event_properties: [5], user_properties: [6] });
    expect(err.events_with_missing_fields).toEqual({ user_id: [2], event_type: [4] });
    expect(err.missing_field).toBeUndefined();
    expect(await storedCounts(t().db)).toEqual({ events: 0, traits: 0, users: 0, identities: 0, props: 0 });
    // The SDK's retry without the listed events succeeds.
    const retry = await amp([{ user_id: 'ok-1', event_type: 'view' }, { user_id: 'ok-2', event_type: 'view' }]);
    expect(retry.json()).toMatchObject({ code: 200, events_ingested: 2 });
  });

  it('a request-level problem names missing_field (the SDK then drops the request)', async () => {
    expect(expectAmplitudeError(await post('/2/httpapi', { api_key: WRITE_KEY }, {}), 400).missing_field).toBe('events');
    expect(expectAmplitudeError(await post('/2/httpapi', { events: [] }, {}), 400).missing_field).toBe('api_key');
    expect(expectAmplitudeError(await post('/identify', { api_key: WRITE_KEY }, {}), 400).missing_field).toBe('identification');
    const bad = expectAmplitudeError(await post('/batch', { api_key: 'nope', events: [] }, {}), 400);
    expect(bad.error).toMatch(/^Invalid API key: /);
    const json = expectAmplitudeError(await post('/2/httpapi', '{"api_key":', {}), 400);
    expect(json.error).toMatch(/JSON/);
  });

  it('413 is { code: 413, error } for too many events or too large a body', async () => {
    const many = Array.from({ length: 2001 }, (_, i) => ({ user_id: `u${i % 5}`, event_type: 'click' }));
    for (const url of ['/2/httpapi', '/batch']) {
      const err = expectAmplitudeError(await amp(many, url), 413);
      expect(err.error).toMatch(/2001 events/);
    }
    const big = JSON.stringify({ api_key: WRITE_KEY, events: [{ user_id: 'u', event_type: 'v', event_properties: { b: 'x'.repeat(1024 * 1024) } }] });
    expectAmplitudeError(await post('/2/httpapi', big, {}), 413);
    expect((await storedCounts(t().db)).events).toBe(0);
  });

  it('429 and other statuses keep Amplitude\'s shape, with Retry-After', () => {
    expect(amplitudeError(new ServiceError(429, 'too_many_requests', 'Slow down', { retryAfterSeconds: 3 }))).toEqual({
      status: 429,
      body: { code: 429, error: 'Slow down' },
      retryAfter: 3,
    });
    expect(amplitudeError(new ServiceError(503, 'query_timeout', 'Busy'))).toMatchObject({ status: 503, body: { code: 503, error: 'Busy' } });
    expect(amplitudeError(new Error('bug'))).toBeUndefined();
  });

  it('POST /batch is the same API as /2/httpapi', async () => {
    const res = await amp([{ user_id: 'b1', event_type: 'view', insert_id: 'x1', user_properties: { plan: 'pro' } }], '/batch');
    expect(res.statusCode, res.body).toBe(200);
    expect(Object.keys(res.json()).sort()).toEqual(['code', 'events_ingested', 'payload_size_bytes', 'server_upload_time']);
    expect(await user('b1')).toMatchObject({ eventCount: 1, properties: { plan: 'pro' } });
    // Dedup is shared between the two routes.
    await amp([{ user_id: 'b1', event_type: 'view', insert_id: 'x1' }]);
    expect((await user('b1')).eventCount).toBe(1);
  });
});

describe('Amplitude identify operations', () => {
  it('an $identify event changes traits only: no event is stored', async () => {
    const res = await identify('i1', { $set: { plan: 'pro' } });
    expect(res.json()).toMatchObject({ code: 200, events_ingested: 1 });
    expect(await user('i1')).toMatchObject({ eventCount: 0, properties: { plan: 'pro' } });
    expect(await live()).toEqual([]);
    expect((await t().app.inject({ method: 'GET', url: '/v1/event-types', headers: { authorization: 'Bearer kha_test_admin_token_456' } })).json().map((e: { name: string }) => e.name)).not.toContain('$identify');
  });

  it('$setOnce keeps the first value across requests; $add accumulates across requests', async () => {
    await identify('i2', { $setOnce: { first_seen: 'mon' }, $add: { logins: 1 } });
    await identify('i2', { $setOnce: { first_seen: 'tue' }, $add: { logins: 1 } });
    await identify('i2', { $add: { logins: 5, credit: -2.5 } });
    expect(await props('i2')).toEqual({ first_seen: 'mon', logins: 7, credit: -2.5 });
  });

  it('list operations, $unset and $clearAll have Amplitude\'s meaning', async () => {
    await identify('i3', { $set: { tags: ['a'], plan: 'pro', keep: 1 } });
    await identify('i3', { $append: { tags: ['b', 'a'] }, $prepend: { recent: 'x' } });
    expect(await props('i3')).toMatchObject({ tags: ['a', 'b', 'a'], recent: ['x'] });
    await identify('i3', { $remove: { tags: 'a' }, $postInsert: { recent: ['x', 'y'] }, $preInsert: { seen: ['s1'] } });
    expect(await props('i3')).toEqual({ tags: ['b'], recent: ['x', 'y'], seen: ['s1'], plan: 'pro', keep: 1 });
    await identify('i3', { $unset: { plan: '-' } });
    expect(await props('i3')).not.toHaveProperty('plan');
    // A cleared property counts as never set for $setOnce.
    await identify('i3', { $setOnce: { plan: 'free' } });
    expect((await props('i3')).plan).toBe('free');
    await identify('i3', { $clearAll: '-' });
    expect(await props('i3')).toEqual({});
    await identify('i3', { $add: { keep: 2 } });
    expect(await props('i3')).toEqual({ keep: 2 });
  });

  it('operations apply in timestamp order, whatever order the requests arrive in', async () => {
    // Sent newest first: the $set at 10:00 comes before the $add at 11:00 and the $setOnce at 09:00 wins.
    await identify('i4', { $add: { n: 5 } }, { time: at('2024-06-01T11:00:00Z') });
    await identify('i4', { $set: { n: 10 } }, { time: at('2024-06-01T10:00:00Z') });
    await identify('i4', { $setOnce: { src: 'late' } }, { time: at('2024-06-01T10:30:00Z') });
    await identify('i4', { $setOnce: { src: 'early' } }, { time: at('2024-06-01T09:00:00Z') });
    expect(await props('i4')).toEqual({ n: 15, src: 'early' });
    // The same operations in time order give the same profile.
    await identify('i5', { $setOnce: { src: 'early' } }, { time: at('2024-06-01T09:00:00Z') });
    await identify('i5', { $set: { n: 10 } }, { time: at('2024-06-01T10:00:00Z') });
    await identify('i5', { $setOnce: { src: 'late' } }, { time: at('2024-06-01T10:30:00Z') });
    await identify('i5', { $add: { n: 5 } }, { time: at('2024-06-01T11:00:00Z') });
    expect(await props('i5')).toEqual({ n: 15, src: 'early' });
    // A Segment identify older than an $add also counts before it.
    await post('/v1/identify', { userId: 'i4', traits: { n: 100 }, timestamp: '2024-06-01T10:45:00Z' });
    expect((await props('i4')).n).toBe(105);
  });

  it('a cohort rule sees the value the operations computed', async () => {
    await identify('c1', { $add: { score: 3 } });
    await identify('c1', { $add: { score: 4 } });
    const [row] = await t().db.reads.rows<{ v: string }>(
      `SELECT arg_max(value, (ts, seq))::VARCHAR AS v FROM user_traits t JOIN users u USING (uid) WHERE u.user_id = 'c1' AND key = 'score'`,
    );
    expect(JSON.parse(row.v)).toBe(7);
  });

  it('a retried request (same insert_id) applies its operations once', async () => {
    const events = [
      { user_id: 'r1', event_type: '$identify', insert_id: 'id-1', user_properties: { $add: { n: 1 } } },
      { user_id: 'r1', event_type: 'purchase', insert_id: 'ev-1', user_properties: { $add: { purchases: 1 } } },
    ];
    await amp(events);
    await amp(events);
    expect(await user('r1')).toMatchObject({ eventCount: 1, properties: { n: 1, purchases: 1 } });
  });

  it('user_properties on a normal event apply too; an unknown operation or a non-numeric $add is refused', async () => {
    await amp([{ user_id: 'e1', event_type: 'view', user_properties: { plan: 'pro', $add: { views: 1 }, $setOnce: { first: 'view' } } }]);
    expect(await user('e1')).toMatchObject({ eventCount: 1, properties: { plan: 'pro', views: 1, first: 'view' } });
    const err = expectAmplitudeError(await amp([{ user_id: 'e1', event_type: 'view', user_properties: { $increment: { a: 1 } } }]), 400);
    expect(err.details).toEqual([{ index: 0, field: 'user_properties.$increment', message: expect.any(String) }]);
    const add = expectAmplitudeError(await amp([{ user_id: 'e1', event_type: 'view', user_properties: { $add: { a: 'one' } } }]), 400);
    expect(add.details).toEqual([{ index: 0, field: 'user_properties.$add.a', message: 'must be a number' }]);
    const huge = expectAmplitudeError(await amp([{ user_id: 'e1', event_type: 'view', user_properties: { $add: { a: 1e300 } } }]), 400);
    expect(huge.details).toEqual([{ index: 0, field: 'user_properties.$add.a', message: expect.stringContaining('between') }]);
    expect((await user('e1')).eventCount).toBe(1);
  });

  it('operations follow an alias merge', async () => {
    await identify('anon-m', { $add: { n: 2 } });
    await identify('user-m', { $add: { n: 3 } });
    await post('/v1/alias', { previousId: 'anon-m', userId: 'user-m' });
    await identify('user-m', { $add: { n: 10 } });
    expect((await props('user-m')).n).toBe(13);
  });
});

describe('Amplitude Identify API (POST /identify)', () => {
  const form = (fields: Record<string, string>) =>
    t().app.inject({ method: 'POST', url: '/identify', payload: new URLSearchParams(fields).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });

  it('takes form fields api_key and identification (an object or an array)', async () => {
    const one = await form({ api_key: WRITE_KEY, identification: JSON.stringify({ user_id: 'f1', user_properties: { $set: { plan: 'pro' }, $add: { n: 2 } } }) });
    expect(one.statusCode, one.body).toBe(200);
    expect(one.json()).toMatchObject({ code: 200, events_ingested: 1 });
    const many = await form({
      api_key: WRITE_KEY,
      identification: JSON.stringify([
        { user_id: 'f1', user_properties: { $add: { n: 3 } } },
        { device_id: 'dev-f2', user_properties: { city: 'Lyon' }, platform: 'iOS' },
      ]),
    });
    expect(many.json()).toMatchObject({ code: 200, events_ingested: 2 });
    expect(await user('f1')).toMatchObject({ eventCount: 0, properties: { plan: 'pro', n: 5 } });
    expect((await user('dev-f2')).properties).toEqual({ city: 'Lyon' });
    expect(await live()).toEqual([]);
  });

  it('refuses bad JSON, a missing id or a wrong key in Amplitude\'s shape, storing nothing', async () => {
    expect(expectAmplitudeError(await form({ api_key: WRITE_KEY, identification: '{nope' }), 400).details).toEqual([
      { field: 'identification', message: expect.any(String) },
    ]);
    const noId = expectAmplitudeError(await form({ api_key: WRITE_KEY, identification: JSON.stringify([{ user_id: 'ok', user_properties: { a: 1 } }, { user_properties: { a: 1 } }]) }), 400);
    expect(noId.events_with_missing_fields).toEqual({ user_id: [1] });
    expect(expectAmplitudeError(await form({ api_key: 'wrong', identification: '{"user_id":"x"}' }), 400).error).toMatch(/^Invalid API key/);
    expect(expectAmplitudeError(await form({ identification: '{"user_id":"x"}' }), 400).missing_field).toBe('api_key');
    expect(await storedCounts(t().db)).toEqual({ events: 0, traits: 0, users: 0, identities: 0, props: 0 });
  });
});

describe('identify operations survive a restart', () => {
  it('$setOnce and $add read what the store holds, not what a process remembers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kohort-ops-'));
    const file = join(dir, 'k.duckdb');
    const run = async (events: unknown[]) => {
      const db = await openDatabase(file);
      const store = await openDuckDBEventStore(db);
      try {
        await createIngestService(store, () => NOW).amplitude({ events });
        return (await store.getUser('s1'))?.properties;
      } finally {
        await store.close();
        await db.close();
      }
    };
    try {
      await run([{ user_id: 's1', event_type: '$identify', insert_id: 'a', user_properties: { $setOnce: { first: 'one' }, $add: { n: 1 } } }]);
      expect(await run([{ user_id: 's1', event_type: '$identify', insert_id: 'b', user_properties: { $setOnce: { first: 'two' }, $add: { n: 2 } } }])).toEqual({ first: 'one', n: 3 });
      // An out-of-order operation after the restart still replays the later ones.
      expect(await run([{ user_id: 's1', event_type: '$identify', insert_id: 'c', time: at('2024-01-01T00:00:00Z'), user_properties: { $set: { n: 100 } } }])).toEqual({ first: 'one', n: 103 });
      // The retried first request is a duplicate after the restart too.
      expect(await run([{ user_id: 's1', event_type: '$identify', insert_id: 'a', user_properties: { $add: { n: 1 } } }])).toEqual({ first: 'one', n: 103 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
