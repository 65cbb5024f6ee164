import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKohort, type Kohort } from '../main.js';
import { BRIEF_EXAMPLE } from '../schemas/examples.js';

const ADMIN = 'kha_cohort_routes_test';
const WRITE = 'khw_cohort_routes_test';
const admin = { authorization: `Bearer ${ADMIN}` };
let k: Kohort;

const BRIEF = BRIEF_EXAMPLE;

async function api(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown, headers: Record<string, string> = {}) {
  const r = await k.app.inject({ method, url, payload: payload as never, headers: { ...admin, ...headers } });
  return { status: r.statusCode, body: r.body ? (String(r.headers['content-type'] ?? '').includes('json') ? r.json() : r.body) : undefined, headers: r.headers };
}

beforeAll(async () => {
  k = await createKohort({ dbPath: ':memory:', adminToken: ADMIN, writeKey: WRITE, background: false, schedulers: false });
  const p = (userId: string, brand: string, price: number, timestamp: string) => ({ type: 'track', userId, event: 'purchase', properties: { brand, price }, timestamp });
  const batch = [
    p('alice', 'something', 1500, '2023-04-01T10:00:00Z'),
    p('alice', 'something', 2000, '2023-05-01T10:00:00Z'),
    p('bob', 'something', 1500, '2023-04-01T10:00:00Z'), // only once
    p('carol', 'something', 1500, '2023-01-01T10:00:00Z'), // before the window
    p('carol', 'something', 1500, '2023-04-01T10:00:00Z'),
    p('dave', 'other', 5000, '2023-04-01T10:00:00Z'),
    p('dave', 'other', 5000, '2023-04-02T10:00:00Z'),
    { type: 'track', userId: 'erin', event: 'app_download', timestamp: '2023-04-01T10:00:00Z' },
    { type: 'track', userId: 'frank', event: 'app_download', timestamp: '2023-04-01T10:00:00Z' },
    { type: 'track', userId: 'frank', event: 'signup_activity', timestamp: '2023-04-02T10:00:00Z' },
    { type: 'identify', userId: 'alice', traits: { plan: 'pro' } },
  ];
  const r = await k.app.inject({ method: 'POST', url: '/v1/batch', payload: { batch }, headers: { authorization: `Bearer ${WRITE}` } });
  expect(r.statusCode).toBe(200);
});
afterAll(() => k.close());

describe('cohort routes', () => {
  it('previews the brief example: size, sample, asOf, tookMs', async () => {
    const r = await api('POST', '/v1/cohorts/preview', { definition: BRIEF, asOf: '2024-01-01T00:00:00Z' });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ size: 1, sample: ['alice'], asOf: '2024-01-01T00:00:00.000Z' });
    expect(typeof r.body.tookMs).toBe('number');
  });

  it('rejects an invalid definition with the rule and field at fault', async () => {
    const bad = { match: 'all', rules: [{ type: 'event', event: 'purchase', count: { op: 'between', value: [5, 1] } }] };
    const r = await api('POST', '/v1/cohorts/preview', { definition: bad });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('invalid_definition');
    expect(JSON.stringify(r.body.error.details)).toContain('rules[0].count');
  });

  it('creates a dynamic cohort computed before the answer, then lists, filters and reads it', async () => {
    const r = await api('POST', '/v1/cohorts', { name: 'Big spenders', definition: BRIEF, tags: ['vip'] });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ name: 'Big spenders', kind: 'dynamic', status: 'active', tags: ['vip'], calculation: { state: 'idle' } });
    expect(r.body.size).toBe(1);
    expect(r.body.computedAt).not.toBeNull();
    const id = r.body.id;
    expect((await api('GET', `/v1/cohorts/${id}`)).body.name).toBe('Big spenders');
    const list = await api('GET', '/v1/cohorts?q=spenders&tag=vip&status=active');
    expect(list.body.items.map((c: { id: string }) => c.id)).toEqual([id]);
    expect((await api('GET', '/v1/cohorts?tag=nope')).body.items).toEqual([]);
    expect((await api('GET', `/v1/cohorts/${id}/members`)).body).toEqual({ items: ['alice'], nextCursor: null });
    const user = await api('GET', '/v1/users/alice');
    expect(user.body.cohorts).toEqual([{ id, name: 'Big spenders' }]);
    const amp = await api('GET', `/2/cohorts/${id}`);
    expect(amp.body).toMatchObject({ id, name: 'Big spenders', size: 1 });
  });

  it('a did-not-perform cohort, edited later, records entered and exited in its history', async () => {
    const def = { match: 'all', rules: [{ type: 'event', event: 'app_download' }, { type: 'event', event: 'signup_activity', negate: true }] };
    const c = (await api('POST', '/v1/cohorts', { name: 'Downloaded, never signed up', definition: def })).body;
    expect(c.size).toBe(1);
    expect((await api('GET', `/v1/cohorts/${c.id}/members`)).body.items).toEqual(['erin']);
    const patched = await api('PATCH', `/v1/cohorts/${c.id}`, { definition: { match: 'all', rules: [{ type: 'event', event: 'app_download' }] } });
    expect(patched.status).toBe(200);
    expect(patched.body.size).toBe(2);
    const h = (await api('GET', `/v1/cohorts/${c.id}/history`)).body;
    expect(h.length).toBe(2);
    expect(h[0]).toMatchObject({ size: 2, entered: 1, exited: 0 });
    expect(h[1]).toMatchObject({ size: 1, entered: 1, exited: 0 });
  });

  it('pages members with a cursor, searches them and exports them as CSV', async () => {
    const def = { match: 'all', rules: [{ type: 'event', event: 'purchase' }] };
    const c = (await api('POST', '/v1/cohorts', { name: 'Buyers', definition: def })).body;
    const p1 = (await api('GET', `/v1/cohorts/${c.id}/members?limit=2`)).body;
    expect(p1.items).toEqual(['alice', 'bob']);
    const p2 = (await api('GET', `/v1/cohorts/${c.id}/members?limit=2&cursor=${p1.nextCursor}`)).body;
    expect(p2).toEqual({ items: ['carol', 'dave'], nextCursor: null });
    const found = await api('GET', `/v1/cohorts/${c.id}/members?q=AR`);
    expect(found.body).toEqual({ items: ['carol'], nextCursor: null });
    const csv = await api('GET', `/v1/cohorts/${c.id}/members`, undefined, { accept: 'text/csv' });
    expect(csv.headers['content-type']).toContain('text/csv');
    expect(csv.body).toBe('user_id\nalice\nbob\ncarol\ndave\n');
  });

  it('static cohorts take JSON and CSV uploads and report invalid lines', async () => {
    const c = (await api('POST', '/v1/cohorts', { name: 'VIP list', kind: 'static' })).body;
    expect(c.kind).toBe('static');
    const j = await api('POST', `/v1/cohorts/${c.id}/members`, { userIds: ['alice', 'bob', 'ghost'] });
    expect(j.body).toEqual({ added: 2, alreadyMember: 0, invalid: [{ line: 3, message: expect.stringContaining('unknown user "ghost"') }] });
    const csv = await k.app.inject({
      method: 'POST', url: `/v1/cohorts/${c.id}/members`, payload: 'email,user_id\nx@y.z,bob\n,\nq@r.s,carol\na@b.c,\n',
      headers: { ...admin, 'content-type': 'text/csv' },
    });
    expect(csv.json()).toEqual({ added: 1, alreadyMember: 1, invalid: [{ line: 5, message: 'no user id in this line' }] });
    expect((await api('GET', `/v1/cohorts/${c.id}`)).body.size).toBe(3);
    const del = await api('DELETE', `/v1/cohorts/${c.id}/members`, { userIds: ['bob'] });
    expect(del.body).toEqual({ removed: 1 });
    expect((await api('GET', `/v1/cohorts/${c.id}/members`)).body.items).toEqual(['alice', 'carol']);
    const dyn = (await api('GET', '/v1/cohorts?q=Buyers')).body.items[0];
    expect((await api('POST', `/v1/cohorts/${dyn.id}/members`, { userIds: ['alice'] })).status).toBe(400);
  });

  it('cohort references: unknown ids and cycles are refused, referenced cohorts cannot be deleted', async () => {
    const unknown = await api('POST', '/v1/cohorts', { name: 'X', definition: { match: 'all', rules: [{ type: 'cohort', cohortId: 'nope' }] } });
    expect(unknown.status).toBe(400);
    const a = (await api('POST', '/v1/cohorts', { name: 'A', definition: { match: 'all', rules: [{ type: 'event', event: 'purchase' }] } })).body;
    const b = (await api('POST', '/v1/cohorts', { name: 'B', definition: { match: 'all', rules: [{ type: 'cohort', cohortId: a.id }] } })).body;
    expect(b.size).toBe(4);
    const cycle = await api('PATCH', `/v1/cohorts/${a.id}`, { definition: { match: 'all', rules: [{ type: 'cohort', cohortId: b.id }] } });
    expect(cycle.status).toBe(400);
    expect(cycle.body.error.code).toBe('cohort_cycle');
    expect(cycle.body.error.message).toContain('A -> B -> A');
    const del = await api('DELETE', `/v1/cohorts/${a.id}`);
    expect(del.status).toBe(409);
    expect(del.body.error.details.referrers).toEqual([{ id: b.id, name: 'B' }]);
    expect((await api('DELETE', `/v1/cohorts/${b.id}`)).status).toBe(204);
    expect((await api('DELETE', `/v1/cohorts/${a.id}`)).status).toBe(204);
    expect((await api('GET', `/v1/cohorts/${a.id}`)).status).toBe(404);
  });

  it('refresh recomputes now; sorts and cursors page the list', async () => {
    const all = (await api('GET', '/v1/cohorts?sort=name&order=asc&limit=2')).body;
    expect(all.items).toHaveLength(2);
    expect(all.nextCursor).toBeTruthy();
    const next = (await api('GET', `/v1/cohorts?sort=name&order=asc&limit=2&cursor=${all.nextCursor}`)).body;
    const names = [...all.items, ...next.items].map((c: { name: string }) => c.name);
    expect(names).toEqual([...names].sort((x, y) => x.toLowerCase().localeCompare(y.toLowerCase())));
    const id = all.items[0].id;
    const before = (await api('GET', `/v1/cohorts/${id}`)).body.computedAt;
    const r = await api('POST', `/v1/cohorts/${id}/refresh`);
    expect(r.status).toBe(200);
    expect(r.body.computedAt >= before).toBe(true);
    expect((await api('GET', '/v1/cohorts?sort=size&order=sideways')).status).toBe(400);
  });

  it('answers 401 without the admin token and 404 for unknown cohorts', async () => {
    const r = await k.app.inject({ method: 'GET', url: '/v1/cohorts' });
    expect(r.statusCode).toBe(401);
    expect(r.json().error.code).toBe('unauthorized');
    expect((await api('GET', '/v1/cohorts/does-not-exist')).status).toBe(404);
    expect((await api('POST', '/v1/cohorts', { name: '' })).status).toBe(400);
  });
});
