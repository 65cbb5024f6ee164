import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MockReceiver } from '../destinations/test-support/mock-receiver.js';
import { createKohort, type Kohort } from '../main.js';

const ADMIN = 'kha_insight_routes_test';
const WRITE = 'khw_insight_routes_test';
const AS_OF = '2024-03-01T00:00:00Z';
let k: Kohort;
let receiver: MockReceiver;

async function api(method: 'GET' | 'POST', url: string, payload?: unknown) {
  const r = await k.app.inject({ method, url, payload: payload as never, headers: { authorization: `Bearer ${ADMIN}` } });
  return { status: r.statusCode, body: r.body ? r.json() : undefined };
}

const day = (d: string) => `${d}T00:00:00Z`;
const iso = (d: string) => `${d}T00:00:00.000Z`;

beforeAll(async () => {
  receiver = await new MockReceiver().start();
  k = await createKohort({ dbPath: ':memory:', adminToken: ADMIN, writeKey: WRITE, background: false, schedulers: false });
  const buy = (userId: string, price: number, d: string) => ({ type: 'track', userId, event: 'purchase', properties: { price }, timestamp: day(d) });
  const batch = [
    buy('alice', 100, '2024-01-10'), buy('alice', 250, '2024-02-20'),
    { type: 'track', userId: 'alice', event: 'view', properties: { page: 'home' }, timestamp: day('2024-02-25') },
    buy('bob', 30, '2024-02-01'),
    { type: 'track', userId: 'carol', event: 'view', timestamp: day('2024-02-28') },
    ...Array.from({ length: 12 }, (_, i) => buy('dave', i + 1, `2024-02-${String(i + 1).padStart(2, '0')}`)),
    { type: 'identify', userId: 'alice', traits: { plan: 'pro' }, timestamp: day('2024-01-01') },
    { type: 'identify', userId: 'bob', traits: { plan: 'free' }, timestamp: day('2024-01-01') },
  ];
  const r = await k.app.inject({ method: 'POST', url: '/v1/batch', payload: { batch }, headers: { authorization: `Bearer ${WRITE}` } });
  expect(r.statusCode).toBe(200);
});
afterAll(async () => {
  await k.close();
  await receiver.close();
});

const SPENDERS = {
  match: 'all',
  rules: [
    { type: 'event', event: 'purchase', count: { op: 'gte', value: 2 }, aggregate: { fn: 'sum', property: 'price', op: 'gt', value: 200 } },
    { type: 'group', match: 'any', rules: [{ type: 'property', property: 'plan', op: 'eq', value: 'pro' }, { type: 'event', event: 'view', negate: true }] },
  ],
};

describe('explain', () => {
  it('an unsaved definition: every rule after negate, counts, aggregate, value and matching events', async () => {
    const r = await api('POST', '/v1/cohorts/explain', { definition: SPENDERS, userId: 'alice', asOf: AS_OF });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toEqual({
      userId: 'alice',
      asOf: iso('2024-03-01'),
      member: true,
      rules: [
        {
          path: 'rules[0]', type: 'event', result: true, negate: false, count: 2,
          aggregate: { fn: 'sum', property: 'price', value: 350 },
          events: [
            { event: 'purchase', timestamp: iso('2024-02-20'), properties: { price: 250 } },
            { event: 'purchase', timestamp: iso('2024-01-10'), properties: { price: 100 } },
          ],
        },
        {
          path: 'rules[1]', type: 'group', result: true, negate: false,
          rules: [
            { path: 'rules[1].rules[0]', type: 'property', result: true, negate: false, value: 'pro' },
            { path: 'rules[1].rules[1]', type: 'event', result: false, negate: true, count: 1, events: [{ event: 'view', timestamp: iso('2024-02-25'), properties: { page: 'home' } }] },
          ],
        },
      ],
    });
  });

  it('why someone is out: the failing rule says so; at most 10 events, newest first', async () => {
    const bob = (await api('POST', '/v1/cohorts/explain', { definition: SPENDERS, userId: 'bob', asOf: AS_OF })).body;
    expect(bob.member).toBe(false);
    expect(bob.rules[0]).toMatchObject({ result: false, count: 1, aggregate: { value: 30 } });
    expect(bob.rules[1]).toMatchObject({ result: true, rules: [{ result: false, value: 'free' }, { result: true, count: 0, events: [] }] });
    const dave = (await api('POST', '/v1/cohorts/explain', { definition: SPENDERS, userId: 'dave', asOf: AS_OF })).body;
    expect(dave.rules[0]).toMatchObject({ result: false, count: 12, aggregate: { value: 78 } });
    expect(dave.rules[0].events.map((e: { timestamp: string }) => e.timestamp.slice(0, 10))).toEqual(
      ['12', '11', '10', '09', '08', '07', '06', '05', '04', '03'].map((d) => `2024-02-${d}`),
    );
    expect(dave.rules[1].rules[0]).toMatchObject({ result: false, value: null });
  });

  it('a saved cohort: the same answer as its membership; regularly counts active periods', async () => {
    const c = (await api('POST', '/v1/cohorts', { name: 'Spenders', definition: SPENDERS })).body;
    expect((await api('GET', `/v1/cohorts/${c.id}/members`)).body.items).toEqual(['alice']);
    for (const userId of ['alice', 'bob', 'carol', 'dave']) {
      const r = await api('GET', `/v1/cohorts/${c.id}/explain?userId=${userId}`);
      expect(r.status).toBe(200);
      expect(r.body.member).toBe(userId === 'alice');
    }
    // asOf is a Friday; 4 ISO weeks start Monday 2024-02-05.
    const weekly = { match: 'all', rules: [{ type: 'regularly', event: 'purchase', period: 'week', periods: 4, atLeast: 2 }] };
    const w = (await api('POST', '/v1/cohorts', { name: 'Weekly buyers', definition: weekly })).body;
    const alice = (await api('GET', `/v1/cohorts/${w.id}/explain?userId=alice&asOf=2024-03-01`)).body;
    expect(alice).toMatchObject({ member: false, rules: [{ type: 'regularly', result: false, count: 1 }] });
    expect(alice.rules[0].events.map((e: { timestamp: string }) => e.timestamp)).toEqual([iso('2024-02-20')]);
    const dave = (await api('GET', `/v1/cohorts/${w.id}/explain?userId=dave&asOf=2024-03-01`)).body;
    expect(dave).toMatchObject({ member: true, rules: [{ result: true, count: 2 }] });
  });

  it('first_time shows the earliest events first; sequence and stopped show the latest', async () => {
    const def = {
      match: 'any',
      rules: [
        { type: 'first_time', event: 'purchase', window: { type: 'since', from: '2024-02-01' } },
        { type: 'sequence', steps: [{ event: 'purchase' }, { event: 'view' }] },
        { type: 'stopped', event: 'purchase', active: { amount: 30, unit: 'day' }, inactive: { amount: 7, unit: 'day' } },
        { type: 'event', event: 'purchase', countBy: 'days', count: { op: 'gte', value: 12 } },
      ],
    };
    const alice = (await api('POST', '/v1/cohorts/explain', { definition: def, userId: 'alice', asOf: AS_OF })).body;
    const times = (x: { events: { timestamp: string }[] }) => x.events.map((e) => e.timestamp);
    expect(alice.member).toBe(true);
    expect(alice.rules[0]).toMatchObject({ type: 'first_time', result: false });
    expect(times(alice.rules[0])).toEqual([iso('2024-01-10'), iso('2024-02-20')]);
    expect(alice.rules[1]).toMatchObject({ type: 'sequence', result: true });
    expect(times(alice.rules[1])).toEqual([iso('2024-02-25'), iso('2024-02-20'), iso('2024-01-10')]);
    // r = 2024-02-23: a purchase on 02-20, none since.
    expect(alice.rules[2]).toMatchObject({ type: 'stopped', result: true });
    expect(alice.rules[3]).toMatchObject({ result: false, count: 2 });
    const dave = (await api('POST', '/v1/cohorts/explain', { definition: def, userId: 'dave', asOf: AS_OF })).body;
    // dave's first purchase is on 2024-02-01 itself (since is ts >= from); he never viewed.
    expect(dave.rules.map((r: { result: boolean }) => r.result)).toEqual([true, false, true, true]);
    expect(dave.rules[3].count).toBe(12);
  });

  it('a static list is explained by its stored members', async () => {
    const s = (await api('POST', '/v1/cohorts', { name: 'List', kind: 'static' })).body;
    await api('POST', `/v1/cohorts/${s.id}/members`, { userIds: ['bob'] });
    expect((await api('GET', `/v1/cohorts/${s.id}/explain?userId=bob`)).body).toMatchObject({ userId: 'bob', member: true, rules: [] });
    expect((await api('GET', `/v1/cohorts/${s.id}/explain?userId=alice`)).body).toMatchObject({ member: false, rules: [] });
  });

  it('unknown users and cohorts are 404, bad input 400', async () => {
    const ghost = await api('POST', '/v1/cohorts/explain', { definition: SPENDERS, userId: 'ghost' });
    expect(ghost.status).toBe(404);
    expect(ghost.body.error.code).toBe('not_found');
    expect((await api('GET', '/v1/cohorts/nope/explain?userId=alice')).status).toBe(404);
    const bad = await api('POST', '/v1/cohorts/explain', { definition: { match: 'all', rules: [] }, userId: 'alice' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid_definition');
    expect((await api('POST', '/v1/cohorts/explain', { definition: SPENDERS })).status).toBe(400);
    expect((await api('POST', '/v1/cohorts/explain', { definition: SPENDERS, userId: 'alice', asOf: 'yesterday' })).status).toBe(400);
  });
});

describe('diff before saving', () => {
  it('counts and samples of who would enter and leave, and what each sync would send', async () => {
    const buyers = (await api('POST', '/v1/cohorts', { name: 'Buyers', definition: { match: 'all', rules: [{ type: 'event', event: 'purchase' }] } })).body;
    expect(buyers.size).toBe(3);
    const dest = (await api('POST', '/v1/destinations', { name: 'Hook', type: 'webhook', config: { url: `${receiver.url}/hook` } })).body;
    const sync = (await api('POST', '/v1/syncs', { cohortId: buyers.id, destinationId: dest.id, frequency: 'daily' })).body;
    expect((await api('POST', `/v1/syncs/${sync.id}/run`)).status).toBe(202);
    await expect.poll(async () => (await api('GET', `/v1/syncs/${sync.id}/runs`)).body[0]?.status).toBe('succeeded');

    const viewers = { match: 'all', rules: [{ type: 'event', event: 'view' }] };
    const r = await api('POST', `/v1/cohorts/${buyers.id}/diff`, { definition: viewers });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({
      current: 3, proposed: 2, added: 1, removed: 2, sampleAdded: ['carol'], sampleRemoved: ['bob', 'dave'],
      syncs: [{ syncId: sync.id, destinationId: dest.id, wouldAdd: 1, wouldRemove: 2 }],
    });
    // Nothing was saved.
    expect((await api('GET', `/v1/cohorts/${buyers.id}/members`)).body.items).toEqual(['alice', 'bob', 'dave']);
    expect((await api('GET', `/v1/cohorts/${buyers.id}`)).body.definition).toEqual({ match: 'all', rules: [{ type: 'event', event: 'purchase' }] });
  });

  it('an unchanged definition changes nothing; static lists, cycles and unknown cohorts are refused', async () => {
    const def = { match: 'all', rules: [{ type: 'event', event: 'view' }] };
    const c = (await api('POST', '/v1/cohorts', { name: 'Viewers', definition: def })).body;
    expect((await api('POST', `/v1/cohorts/${c.id}/diff`, { definition: def })).body).toMatchObject({ current: 2, proposed: 2, added: 0, removed: 0, sampleAdded: [], sampleRemoved: [], syncs: [] });
    const cycle = await api('POST', `/v1/cohorts/${c.id}/diff`, { definition: { match: 'all', rules: [{ type: 'cohort', cohortId: c.id }] } });
    expect(cycle.status).toBe(400);
    expect(cycle.body.error.code).toBe('cohort_cycle');
    const s = (await api('POST', '/v1/cohorts', { name: 'Static', kind: 'static' })).body;
    expect((await api('POST', `/v1/cohorts/${s.id}/diff`, { definition: def })).status).toBe(400);
    expect((await api('POST', '/v1/cohorts/nope/diff', { definition: def })).status).toBe(404);
    expect((await api('POST', `/v1/cohorts/${c.id}/diff`, {})).status).toBe(400);
  });
});
