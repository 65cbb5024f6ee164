import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKohort, type Kohort } from '../main.js';

const ADMIN = 'kha_property_catalog_test';
const WRITE = 'khw_property_catalog_test';
let k: Kohort;

async function get(url: string) {
  const r = await k.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${ADMIN}` } });
  return { status: r.statusCode, body: r.json() };
}
async function post(url: string, payload: unknown, token = ADMIN) {
  const r = await k.app.inject({ method: 'POST', url, payload: payload as never, headers: { authorization: `Bearer ${token}` } });
  return { status: r.statusCode, body: r.json() };
}

beforeAll(async () => {
  k = await createKohort({ dbPath: ':memory:', adminToken: ADMIN, writeKey: WRITE, background: false, schedulers: false });
  const batch: Record<string, unknown>[] = [];
  // 300 common purchases, then one rare brand long before them: the old
  // "last 200 events" suggestions never showed it.
  batch.push({ type: 'track', userId: 'rare', event: 'purchase', properties: { brand: 'Zeta Rare', price: 5 }, timestamp: '2023-01-01T00:00:00Z' });
  for (let i = 0; i < 300; i++) {
    batch.push({
      type: 'track', userId: `u${String(i).padStart(3, '0')}`, event: 'purchase',
      properties: { brand: i % 3 === 0 ? 'acme' : 'globex', price: i, meta: { os: 'ios' } }, timestamp: '2024-01-01T00:00:00Z',
    });
  }
  batch.push({ type: 'identify', userId: 'u001', traits: { plan: 'pro', seats: 3 }, timestamp: '2024-01-01T00:00:00Z' });
  batch.push({ type: 'identify', userId: 'u002', traits: { plan: 'free' }, timestamp: '2024-01-01T00:00:00Z' });
  batch.push({ type: 'identify', userId: 'u003', traits: { plan: 'pro' }, timestamp: '2024-01-01T00:00:00Z' });
  // A later value wins: u003 is on "team" now.
  batch.push({ type: 'identify', userId: 'u003', traits: { plan: 'team' }, timestamp: '2024-02-01T00:00:00Z' });
  const r = await post('/v1/batch', { batch }, WRITE);
  expect(r.status).toBe(200);
});
afterAll(() => k.close());

describe('property catalog routes', () => {
  it('lists the most frequent values of an event property over all its events', async () => {
    const r = await get('/v1/properties/values?event=purchase&property=brand');
    expect(r.status).toBe(200);
    expect(r.body.items).toEqual([{ value: 'globex', count: 200 }, { value: 'acme', count: 100 }, { value: 'Zeta Rare', count: 1 }]);
  });

  it('finds rare values by what they contain, in any case, and reads nested paths', async () => {
    expect((await get('/v1/properties/values?event=purchase&property=brand&q=zeta')).body.items).toEqual([{ value: 'Zeta Rare', count: 1 }]);
    expect((await get('/v1/properties/values?event=purchase&property=meta.os')).body.items).toEqual([{ value: 'ios', count: 300 }]);
    expect((await get('/v1/properties/values?event=purchase&property=meta')).body.items).toEqual([]);
  });

  it('serves trait names and current trait values when no event is given', async () => {
    const names = await get('/v1/traits');
    expect(names.status).toBe(200);
    expect(names.body.items).toEqual([{ name: 'plan', type: 'string', count: 3 }, { name: 'seats', type: 'number', count: 1 }]);
    const plans = await get('/v1/properties/values?property=plan');
    expect(plans.body.items).toEqual([{ value: 'free', count: 1 }, { value: 'pro', count: 1 }, { value: 'team', count: 1 }]);
  });

  it('rejects a bad query with a 400', async () => {
    const r = await get('/v1/properties/values?event=purchase&property=a..b');
    expect(r.status).toBe(400);
    expect((await get('/v1/properties/values?event=purchase')).status).toBe(400);
  });
});

describe('preview sample', () => {
  const all = { match: 'all', rules: [{ type: 'event', event: 'purchase', where: [{ property: 'price', op: 'gte', value: 0 }] }] };

  it('is spread over the cohort, not its first ids, and the same for the same asOf', async () => {
    const a = await post('/v1/cohorts/preview', { definition: all, asOf: '2024-06-01T00:00:00Z', sampleSize: 20 });
    const b = await post('/v1/cohorts/preview', { definition: all, asOf: '2024-06-01T00:00:00Z', sampleSize: 20 });
    const c = await post('/v1/cohorts/preview', { definition: all, asOf: '2024-06-02T00:00:00Z', sampleSize: 20 });
    expect(a.body.size).toBe(301);
    expect(a.body.sample).toHaveLength(20);
    expect(new Set(a.body.sample).size).toBe(20);
    expect(b.body.sample).toEqual(a.body.sample);
    expect(c.body.sample).not.toEqual(a.body.sample);
    // The 20 people stored first are 'rare' and u000..u018; a real sample of
    // 20 out of 301 reaches well beyond them.
    const late = a.body.sample.filter((u: string) => u.startsWith('u') && Number(u.slice(1)) >= 100);
    expect(late.length).toBeGreaterThan(5);
  });
});
