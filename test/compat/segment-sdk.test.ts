import { Analytics } from '@segment/analytics-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCompatServer, type CompatServer, type UserView } from './kohort-server.js';

// The official @segment/analytics-node, used as its README shows, against a real Kohort.

let server: CompatServer;
beforeAll(async () => {
  server = await startCompatServer();
});
afterAll(async () => {
  await server?.close();
});

function client(opts: { flushAt?: number } = {}) {
  const analytics = new Analytics({ writeKey: server.writeKey, host: server.url, flushAt: opts.flushAt ?? 20, flushInterval: 60_000, maxRetries: 0 });
  const errors: unknown[] = [];
  analytics.on('error', (err) => errors.push(err));
  return { analytics, errors };
}

describe('@segment/analytics-node', () => {
  it('every call type (track, identify, page, screen, group, alias) lands in one batch', async () => {
    const { analytics, errors } = client();
    const ts = new Date('2024-06-01T10:00:00Z');
    analytics.track({ anonymousId: 'anon-seg', event: 'view', properties: { sku: 'A1' }, timestamp: ts });
    analytics.identify({ userId: 'seg-user', traits: { plan: 'pro', email: 'seg@x.io' } });
    analytics.page({ userId: 'seg-user', category: 'Docs', name: 'Pricing', properties: { path: '/pricing' } });
    analytics.screen({ userId: 'seg-user', name: 'Home', properties: { tab: 1 } });
    analytics.group({ userId: 'seg-user', groupId: 'acme', traits: { plan: 'enterprise' } });
    analytics.alias({ previousId: 'anon-seg', userId: 'seg-user' });
    analytics.track({ userId: 'seg-user', event: 'purchase', properties: { price: 9.5 } });
    await analytics.closeAndFlush();
    expect(errors).toEqual([]);

    const { status, body } = await server.get<UserView>('/v1/users/seg-user');
    expect(status).toBe(200);
    expect(body.properties).toEqual({ plan: 'pro', email: 'seg@x.io', group: { id: 'acme', plan: 'enterprise' } });
    // The anonymous view counts for the user after the alias.
    expect(body.eventCount).toBe(4);
    const byEvent = Object.fromEntries(body.recentEvents.map((e) => [e.event, e]));
    expect(Object.keys(byEvent).sort()).toEqual(['page', 'purchase', 'screen', 'view']);
    expect(byEvent.view).toMatchObject({ timestamp: '2024-06-01T10:00:00.000Z', properties: { sku: 'A1' } });
    expect(byEvent.page.properties).toEqual({ path: '/pricing', category: 'Docs', name: 'Pricing' });
    expect(byEvent.screen.properties).toEqual({ tab: 1, name: 'Home' });
    expect(byEvent.purchase.properties).toEqual({ price: 9.5 });
    expect((await server.get<UserView>('/v1/users/anon-seg')).body.userId).toBe('seg-user');
    // What a cohort sees: the group trait by path, and page views as events.
    const preview = (definition: unknown) => server.post<{ size: number; sample: string[] }>('/v1/cohorts/preview', { definition });
    const byGroup = await preview({ match: 'all', rules: [{ type: 'property', property: 'group.plan', op: 'eq', value: 'enterprise' }] });
    expect(byGroup.body).toMatchObject({ size: 1, sample: ['seg-user'] });
    const byPage = await preview({ match: 'all', rules: [{ type: 'event', event: 'page', where: [{ property: 'name', op: 'eq', value: 'Pricing' }] }] });
    expect(byPage.body).toMatchObject({ size: 1, sample: ['seg-user'] });
  });

  it('a flush of many messages over several batches arrives complete, and a retry does not double it', async () => {
    const { analytics, errors } = client({ flushAt: 100 });
    for (let i = 0; i < 450; i++) analytics.track({ userId: `bulk-${i % 9}`, event: 'bulk_click', properties: { i }, messageId: `bulk-msg-${i}` });
    await analytics.closeAndFlush();
    expect(errors).toEqual([]);
    // The same messages again (a client retrying after a lost answer): accepted, not stored twice.
    const again = client({ flushAt: 100 });
    for (let i = 0; i < 450; i++) again.analytics.track({ userId: `bulk-${i % 9}`, event: 'bulk_click', properties: { i }, messageId: `bulk-msg-${i}` });
    await again.analytics.closeAndFlush();
    expect(again.errors).toEqual([]);
    const types = (await server.get<{ name: string; count: number }[]>('/v1/event-types')).body;
    expect(types.find((t) => t.name === 'bulk_click')?.count).toBe(450);
  });

  it('a wrong write key is refused and nothing is stored', async () => {
    const analytics = new Analytics({ writeKey: 'not-the-key', host: server.url, flushInterval: 60_000, maxRetries: 0 });
    const errors: unknown[] = [];
    analytics.on('error', (err) => errors.push(err));
    analytics.track({ userId: 'intruder', event: 'view' });
    await analytics.closeAndFlush();
    expect(errors.length).toBe(1);
    expect((await server.get('/v1/users/intruder')).status).toBe(404);
  });
});
