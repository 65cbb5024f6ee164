import { describe, expect, it } from 'vitest';
import { expectError, storedCounts, useIngestApp } from '../../test/support/test-app.js';

// Segment's page, screen and group calls, extra fields and clock skew (api.md, Ingestion).

/** Fixed receive time, so clock-skew corrections are exact. */
const NOW = new Date('2024-06-01T12:00:00.000Z');

const { t, post, live, user } = useIngestApp(NOW);

describe('Segment page, screen and group', () => {
  it('page and screen are stored as events named page / screen with name and category in the properties', async () => {
    const page = await post('/v1/page', { userId: 'p1', name: 'Pricing', category: 'Docs', properties: { path: '/pricing', name: 'ignored' }, timestamp: '2024-06-01T10:00:00Z' });
    expect(page.statusCode, page.body).toBe(200);
    expect(page.json()).toEqual({ success: true, stored: 1, duplicates: 0 });
    const screen = await post('/v1/screen', { anonymousId: 'dev-9', name: 'Home', timestamp: '2024-06-01T11:00:00Z' });
    expect(screen.statusCode, screen.body).toBe(200);
    // Neither name nor category: properties as sent.
    expect((await post('/v1/page', { userId: 'p1', properties: { path: '/' }, timestamp: '2024-06-01T09:00:00Z' })).statusCode).toBe(200);

    const items = await live();
    const shown = items.map(({ userId, event, timestamp, properties }) => ({ userId, event, timestamp, properties }));
    expect(shown.sort((a, b) => b.timestamp.localeCompare(a.timestamp))).toEqual([
      { userId: 'dev-9', event: 'screen', timestamp: '2024-06-01T11:00:00.000Z', properties: { name: 'Home' } },
      { userId: 'p1', event: 'page', timestamp: '2024-06-01T10:00:00.000Z', properties: { path: '/pricing', name: 'Pricing', category: 'Docs' } },
      { userId: 'p1', event: 'page', timestamp: '2024-06-01T09:00:00.000Z', properties: { path: '/' } },
    ]);
    expect((await user('p1')).eventCount).toBe(2);
  });

  it('group sets the trait group to { id, ...traits }', async () => {
    const res = await post('/v1/group', { userId: 'g1', groupId: 'acme', traits: { plan: 'enterprise', seats: 40 } });
    expect(res.statusCode, res.body).toBe(200);
    expect((await user('g1')).properties).toEqual({ group: { id: 'acme', plan: 'enterprise', seats: 40 } });
    // A numeric group id is an id too; no traits is fine.
    await post('/v1/group', { userId: 'g2', groupId: 7 });
    expect((await user('g2')).properties).toEqual({ group: { id: '7' } });
    expect(await live()).toEqual([]);
  });

  it('page, screen and group work as batch types beside track, identify and alias', async () => {
    const res = await post('/v1/batch', {
      batch: [
        { type: 'page', userId: 'b1', name: 'Home' },
        { type: 'screen', userId: 'b1', name: 'Cart', category: 'Shop' },
        { type: 'group', userId: 'b1', groupId: 'org-1', traits: { plan: 'pro' } },
        { type: 'track', userId: 'b1', event: 'purchase' },
        { type: 'identify', userId: 'b1', traits: { email: 'b1@x.io' } },
        { type: 'alias', previousId: 'anon-b1', userId: 'b1' },
      ],
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ stored: 6 });
    const u = await user('b1');
    expect(u.properties).toEqual({ group: { id: 'org-1', plan: 'pro' }, email: 'b1@x.io' });
    expect(u.recentEvents.map((e: { event: string }) => e.event).sort()).toEqual(['page', 'purchase', 'screen']);
    expect((await user('anon-b1')).userId).toBe('b1');
  });

  it('an unknown type rejects the whole request with 400 naming it, storing nothing', async () => {
    const res = await post('/v1/batch', { batch: [{ type: 'track', userId: 'u', event: 'view' }, { type: 'pageview', userId: 'u' }] });
    const err = expectError(res, 400, 'invalid_input');
    expect(err.details).toEqual([{ index: 1, field: 'type', message: expect.stringContaining('page, screen, group') }]);
    expect(await storedCounts(t().db)).toEqual({ events: 0, traits: 0, users: 0, identities: 0, props: 0 });
  });

  it('group without groupId, or page with non-object properties, is a 400', async () => {
    expect(expectError(await post('/v1/group', { userId: 'u', traits: {} }), 400, 'invalid_input').details).toEqual([
      { index: 0, field: 'groupId', message: expect.any(String) },
    ]);
    expect(expectError(await post('/v1/page', { userId: 'u', properties: [1] }), 400, 'invalid_input').details).toEqual([
      { index: 0, field: 'properties', message: expect.any(String) },
    ]);
    expectError(await post('/v1/screen', { name: 'x' }), 400, 'invalid_input');
    expect(await storedCounts(t().db)).toEqual({ events: 0, traits: 0, users: 0, identities: 0, props: 0 });
  });
});

describe('other Segment fields', () => {
  it('context, integrations, sentAt, _metadata, channel, version, writeKey and unknown fields are accepted', async () => {
    const extra = {
      context: { library: { name: 'analytics-node', version: '3.1.0' }, ip: '1.2.3.4', traits: { a: 1 } },
      integrations: { All: true, Mixpanel: false },
      sentAt: '2024-06-01T11:59:59Z',
      originalTimestamp: '2024-06-01T11:59:58Z',
      receivedAt: '2024-06-01T11:59:59Z',
      _metadata: { nodeVersion: '20' },
      channel: 'server',
      version: 2,
      somethingNew: { x: [1] },
    };
    const res = await post('/v1/batch', {
      writeKey: 'ignored',
      sentAt: '2024-06-01T12:00:00Z',
      context: { shared: true },
      batch: [
        { type: 'track', userId: 'x1', event: 'view', timestamp: '2024-06-01T10:00:00Z', ...extra },
        { type: 'identify', userId: 'x1', traits: { plan: 'pro' }, ...extra },
        { type: 'page', userId: 'x1', ...extra },
        { type: 'screen', userId: 'x1', ...extra },
        { type: 'group', userId: 'x1', groupId: 'g', ...extra },
        { type: 'alias', previousId: 'a1', userId: 'x1', ...extra },
      ],
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ stored: 6, duplicates: 0 });
    for (const route of ['/v1/track', '/v1/identify', '/v1/page', '/v1/screen', '/v1/group', '/v1/alias']) {
      const body = { userId: 'x2', event: 'click', groupId: 'g', previousId: 'a2', ...extra };
      const r = await post(route, body);
      expect(r.statusCode, `${route} ${r.body}`).toBe(200);
    }
  });
});

describe('clock skew', () => {
  it('without timestamp, timestamp = receive time - (sentAt - originalTimestamp)', async () => {
    // The device clock is 1 hour ahead; the event happened 5 s before it was sent.
    await post('/v1/track', { userId: 'c1', event: 'view', originalTimestamp: '2024-06-01T12:59:55Z', sentAt: '2024-06-01T13:00:00Z' });
    // sentAt on the batch (analytics-node), originalTimestamp on the message.
    await post('/v1/batch', { sentAt: '2024-06-01T10:00:10.000Z', batch: [{ type: 'page', userId: 'c1', originalTimestamp: '2024-06-01T10:00:00.000Z' }] });
    // A message's own sentAt wins over the batch's.
    await post('/v1/batch', { sentAt: '2024-06-01T10:00:00Z', batch: [{ type: 'screen', userId: 'c1', sentAt: '2024-06-01T10:00:03Z', originalTimestamp: '2024-06-01T10:00:00Z' }] });
    const byEvent = Object.fromEntries((await live()).map((e) => [e.event, e.timestamp]));
    expect(byEvent).toEqual({
      view: '2024-06-01T11:59:55.000Z',
      page: '2024-06-01T11:59:50.000Z',
      screen: '2024-06-01T11:59:57.000Z',
    });
  });

  it('an explicit timestamp is kept as sent; a missing or unreadable sentAt / originalTimestamp means receive time', async () => {
    await post('/v1/track', { userId: 'c2', event: 'a', timestamp: '2024-06-01T08:00:00Z', originalTimestamp: '2024-06-01T07:00:00Z', sentAt: '2024-06-01T09:00:00Z' });
    await post('/v1/track', { userId: 'c2', event: 'b', originalTimestamp: '2024-06-01T07:00:00Z' });
    await post('/v1/track', { userId: 'c2', event: 'c', originalTimestamp: 'soon', sentAt: '2024-06-01T09:00:00Z' });
    const byEvent = Object.fromEntries((await live()).map((e) => [e.event, e.timestamp]));
    expect(byEvent).toEqual({ a: '2024-06-01T08:00:00.000Z', b: NOW.toISOString(), c: NOW.toISOString() });
  });

  it('identify traits take the corrected time too (an older correction does not win)', async () => {
    await post('/v1/identify', { userId: 'c3', traits: { plan: 'pro' }, timestamp: '2024-06-01T11:00:00Z' });
    // Corrected to 10:00, older than the 11:00 value: plan stays pro.
    await post('/v1/identify', { userId: 'c3', traits: { plan: 'free' }, originalTimestamp: '2024-06-01T08:00:00Z', sentAt: '2024-06-01T10:00:00Z' });
    expect((await user('c3')).properties).toEqual({ plan: 'pro' });
  });
});
