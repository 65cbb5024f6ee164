import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKohort, type Kohort } from '../main.js';

const ADMIN = 'kha_contact_routes_test';
const WRITE = 'khw_contact_routes_test';
const admin = { authorization: `Bearer ${ADMIN}` };
let k: Kohort;

interface Contact {
  userId: string;
  properties: Record<string, unknown>;
  firstSeen: string | null;
  lastSeen: string | null;
  eventCount: number;
  cohorts: { id: string; name: string; stepId: string | null; stepName: string | null }[];
}
interface Page {
  items: Contact[];
  nextCursor: string | null;
  total?: number;
}

async function api(method: 'GET' | 'POST', url: string, payload?: unknown, headers: Record<string, string> = admin) {
  const r = await k.app.inject({ method, url, payload: payload as never, headers });
  return { status: r.statusCode, body: r.json() };
}

async function contacts(query: Record<string, string | number> = {}): Promise<{ status: number; body: Page & { error?: { code: string; details?: unknown } } }> {
  const qs = new URLSearchParams(Object.entries(query).map(([key, v]) => [key, String(v)])).toString();
  return api('GET', `/v1/contacts${qs ? `?${qs}` : ''}`);
}

const ids = (p: Page) => p.items.map((c) => c.userId);
const withFilters = async (filters: unknown) => {
  const r = await contacts({ filters: JSON.stringify(filters), limit: 500 });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return ids(r.body);
};

beforeAll(async () => {
  // Cheap password hashing: the role test signs two accounts in.
  k = await createKohort({ dbPath: ':memory:', adminToken: ADMIN, writeKey: WRITE, background: false, schedulers: false, passwordCost: { N: 1024, r: 8, p: 1 } });
  const identify = (userId: string, traits: Record<string, unknown>, timestamp = '2024-01-01T00:00:00Z') => ({ type: 'identify', userId, traits, timestamp });
  const track = (userId: string, timestamp: string) => ({ type: 'track', userId, event: 'page_view', timestamp });
  const batch = [
    identify('alice', { plan: 'pro', seats: 12, city: 'Paris' }),
    track('alice', '2024-02-01T10:00:00Z'),
    track('alice', '2024-03-01T10:00:00Z'),
    identify('bob', { plan: 'free', seats: '3', vip: true, city: 'Zürich' }),
    track('bob', '2024-02-15T10:00:00Z'),
    identify('carol', { plan: 'Pro', city: 'Lyon' }),
    // Cleared later: carol has no plan now.
    identify('carol', { plan: null }, '2024-02-01T00:00:00Z'),
    track('dave', '2024-01-05T10:00:00Z'),
    identify('erin', { company: { name: 'Acme' }, plan: 'free', motto: 'say "hi" \\o/' }),
    // Changed later: frank's current plan is "pro", his older "free" no longer counts.
    identify('frank', { plan: 'free' }),
    identify('frank', { plan: 'pro', seats: 2 }, '2024-03-01T00:00:00Z'),
  ];
  const r = await k.app.inject({ method: 'POST', url: '/v1/batch', payload: { batch }, headers: { authorization: `Bearer ${WRITE}` } });
  expect(r.statusCode, r.body).toBe(200);
});
afterAll(() => k?.close());

describe('GET /v1/contacts', () => {
  it('lists everyone by user id with current traits, activity and a total on the first page', async () => {
    const r = await contacts();
    expect(r.status).toBe(200);
    expect(ids(r.body)).toEqual(['alice', 'bob', 'carol', 'dave', 'erin', 'frank']);
    expect(r.body.total).toBe(6);
    expect(r.body.nextCursor).toBeNull();
    const [alice, , carol, dave, , frank] = r.body.items;
    expect(alice).toEqual({
      userId: 'alice',
      properties: { plan: 'pro', seats: 12, city: 'Paris' },
      firstSeen: '2024-02-01T10:00:00.000Z',
      lastSeen: '2024-03-01T10:00:00.000Z',
      eventCount: 2,
      cohorts: [],
    });
    expect(carol.properties).toEqual({ city: 'Lyon' });
    expect(dave).toMatchObject({ properties: {}, eventCount: 1 });
    expect(frank).toMatchObject({ properties: { plan: 'pro', seats: 2 }, eventCount: 0, firstSeen: null, lastSeen: null });
  });

  it('q matches a substring of the user id or of a current trait value, in any case', async () => {
    expect(ids((await contacts({ q: 'ALI' })).body)).toEqual(['alice']);
    expect(ids((await contacts({ q: 'paris' })).body)).toEqual(['alice']);
    expect(ids((await contacts({ q: 'acme' })).body)).toEqual(['erin']);
    // Only current values count: carol's cleared "Pro" and frank's old "free" do not match.
    expect(ids((await contacts({ q: 'pro' })).body)).toEqual(['alice', 'frank']);
    expect(ids((await contacts({ q: 'free' })).body)).toEqual(['bob', 'erin']);
    // Quotes and backslashes are escaped in stored JSON text, yet match the value's text.
    expect(ids((await contacts({ q: '"HI" \\' })).body)).toEqual(['erin']);
    expect(ids((await contacts({ q: '12' })).body)).toEqual(['alice']);
    expect(ids((await contacts({ q: 'ZÜR' })).body)).toEqual(['bob']);
    const none = await contacts({ q: 'nobody-has-this' });
    expect(none.body).toEqual({ items: [], nextCursor: null, total: 0 });
  });

  it('filters on current traits with the definition language meaning (numbers, missing keys, nested paths)', async () => {
    expect(await withFilters([{ property: 'plan', op: 'eq', value: 'pro' }])).toEqual(['alice', 'frank']);
    // The numeric rule: the string "3" counts as 3.
    expect(await withFilters([{ property: 'seats', op: 'gte', value: 3 }])).toEqual(['alice', 'bob']);
    expect(await withFilters([{ property: 'seats', op: 'between', value: [2, 3] }])).toEqual(['bob', 'frank']);
    // neq needs the key set; is_not_set holds on missing and cleared keys.
    expect(await withFilters([{ property: 'plan', op: 'neq', value: 'pro' }])).toEqual(['bob', 'erin']);
    expect(await withFilters([{ property: 'plan', op: 'is_not_set' }])).toEqual(['carol', 'dave']);
    expect(await withFilters([{ property: 'company.name', op: 'contains', value: 'ACM' }])).toEqual(['erin']);
    expect(await withFilters([{ property: 'vip', op: 'eq', value: true }])).toEqual(['bob']);
    expect(await withFilters([])).toEqual(['alice', 'bob', 'carol', 'dave', 'erin', 'frank']);
    // Several filters must all hold, and combine with q.
    expect(await withFilters([{ property: 'plan', op: 'in', value: ['pro', 'free'] }, { property: 'seats', op: 'lt', value: 5 }])).toEqual(['bob', 'frank']);
    const both = await contacts({ q: 'pro', filters: JSON.stringify([{ property: 'seats', op: 'lt', value: 5 }]) });
    expect(ids(both.body)).toEqual(['frank']);
  });

  it('a filter selects exactly the members of a cohort made of the same property rule', async () => {
    const cases = [
      { property: 'seats', op: 'gt', value: 2.5 },
      { property: 'plan', op: 'not_in', value: ['free'] },
      { property: 'city', op: 'is_not_set' },
      { property: 'plan', op: 'regex', value: '^p' },
    ];
    for (const f of cases) {
      const preview = await api('POST', '/v1/cohorts/preview', { definition: { match: 'all', rules: [{ type: 'property', ...f }] }, sampleSize: 100 });
      expect(preview.status).toBe(200);
      expect(await withFilters([f]), JSON.stringify(f)).toEqual([...preview.body.sample].sort());
    }
  });

  it('rejects bad filters with 400 naming the filter and field', async () => {
    const bad = async (filters: string) => {
      const r = await contacts({ filters });
      expect(r.status).toBe(400);
      expect(r.body.error!.code).toBe('invalid_input');
      return r.body.error!.details as { index?: number; field: string; message: string }[];
    };
    expect((await bad('[{"property":'))[0]).toMatchObject({ field: 'filters', message: expect.stringContaining('not valid JSON') });
    expect((await bad('{"property":"plan"}'))[0]).toMatchObject({ field: 'filters', message: expect.stringContaining('array') });
    const details = await bad(JSON.stringify([{ property: 'plan', op: 'eq', value: 'pro' }, { property: 'seats', op: 'gt', value: 'many' }]));
    expect(details).toEqual([{ index: 1, field: 'filters[1].value', message: 'gt needs a number' }]);
    expect((await bad(JSON.stringify([{ property: 'plan', op: 'like', value: 'x' }])))[0]).toMatchObject({ index: 0, field: 'filters[0].op' });
    expect((await bad(JSON.stringify([{ property: 'plan', op: 'eq', value: 'x', negated: true }])))[0]).toMatchObject({
      index: 0,
      message: expect.stringContaining('"negated"'),
    });
    expect((await bad(JSON.stringify([{ property: 'a..b', op: 'is_set' }])))[0]).toMatchObject({ index: 0, field: 'filters[0].property' });
  });

  it('rejects other bad parameters with 400 naming the field', async () => {
    for (const [query, field] of [
      [{ limit: 0 }, 'limit'],
      [{ limit: 501 }, 'limit'],
      [{ limit: 'ten' }, 'limit'],
      [{ q: 'x'.repeat(201) }, 'q'],
      [{ stepId: 'st_1' }, 'stepId'],
      [{ filters: JSON.stringify(Array.from({ length: 51 }, () => ({ property: 'plan', op: 'is_set' }))) }, 'filters'],
    ] as const) {
      const r = await contacts(query);
      expect(r.status, JSON.stringify(query)).toBe(400);
      expect(JSON.stringify(r.body.error!.details)).toContain(`"field":"${field}"`);
    }
  });

  it('pages by user id with an opaque cursor', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let first = true;
    do {
      const r = await contacts({ limit: 4, ...(cursor ? { cursor } : {}) });
      expect(r.status).toBe(200);
      expect(r.body.items.length).toBeLessThanOrEqual(4);
      if (first) expect(r.body.total).toBe(6);
      else expect(r.body.total).toBeUndefined();
      first = false;
      seen.push(...ids(r.body));
      cursor = r.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(['alice', 'bob', 'carol', 'dave', 'erin', 'frank']);
    // Paging keeps the filters.
    const p1 = await contacts({ limit: 1, filters: JSON.stringify([{ property: 'plan', op: 'is_set' }]) });
    expect(ids(p1.body)).toEqual(['alice']);
    expect(p1.body.total).toBe(4);
    const p2 = await contacts({ limit: 10, cursor: p1.body.nextCursor!, filters: JSON.stringify([{ property: 'plan', op: 'is_set' }]) });
    expect(ids(p2.body)).toEqual(['bob', 'erin', 'frank']);
    expect(p2.body.nextCursor).toBeNull();
  });

  it('cohortId keeps that cohort’s members and each contact lists its cohorts', async () => {
    const vips = await api('POST', '/v1/cohorts', { name: 'VIPs', kind: 'static' });
    expect(vips.status).toBe(201);
    const added = await api('POST', `/v1/cohorts/${vips.body.id}/members`, { userIds: ['bob', 'erin'] });
    expect(added.body).toMatchObject({ added: 2 });
    const pros = await api('POST', '/v1/cohorts', { name: 'Pro plan', definition: { match: 'all', rules: [{ type: 'property', property: 'plan', op: 'eq', value: 'pro' }] } });
    expect(pros.status).toBe(201);

    const r = await contacts({ cohortId: vips.body.id });
    expect(ids(r.body)).toEqual(['bob', 'erin']);
    expect(r.body.total).toBe(2);
    expect(r.body.items[0].cohorts).toEqual([{ id: vips.body.id, name: 'VIPs', stepId: null, stepName: null }]);
    const all = await contacts();
    expect(all.body.items.find((c) => c.userId === 'frank')!.cohorts.map((c) => c.name)).toEqual(['Pro plan']);
    expect(ids((await contacts({ cohortId: vips.body.id, q: 'er' })).body)).toEqual(['erin']);

    const unknown = await contacts({ cohortId: 'c_does_not_exist' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error!.code).toBe('not_found');
    const noStep = await contacts({ cohortId: vips.body.id, stepId: 'st_nope' });
    expect(noStep.status).toBe(404);
  });

  it('stepId keeps the members whose card is in that step, and each cohort names the contact’s step', async () => {
    const pipeline = await api('POST', '/v1/cohorts', { name: 'Pipeline', kind: 'static' });
    await api('POST', `/v1/cohorts/${pipeline.body.id}/members`, { userIds: ['alice', 'bob', 'carol'] });
    const put = await k.app.inject({ method: 'PUT', url: `/v1/cohorts/${pipeline.body.id}/steps`, headers: admin, payload: { steps: [{ name: 'New' }, { name: 'Contacted' }] } });
    expect(put.statusCode, put.body).toBe(200);
    const [fresh, contacted] = put.json() as { id: string; name: string }[];
    const moved = await api('POST', `/v1/cohorts/${pipeline.body.id}/cards/bob/move`, { stepId: contacted.id });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);

    const inStep = async (stepId: string) => {
      const r = await contacts({ cohortId: pipeline.body.id, stepId });
      expect(r.status).toBe(200);
      return r.body;
    };
    expect(ids(await inStep(contacted.id))).toEqual(['bob']);
    const first = await inStep(fresh.id);
    expect(ids(first)).toEqual(['alice', 'carol']);
    expect(first.total).toBe(2);
    expect(first.items[0].cohorts).toContainEqual({ id: pipeline.body.id, name: 'Pipeline', stepId: fresh.id, stepName: 'New' });
    // The step filter combines with search, trait filters and keyset pages.
    const searched = await contacts({ cohortId: pipeline.body.id, stepId: fresh.id, q: 'CAR' });
    expect([ids(searched.body), searched.body.total]).toEqual([['carol'], 1]);
    const filtered = await contacts({ cohortId: pipeline.body.id, stepId: fresh.id, filters: JSON.stringify([{ property: 'city', op: 'eq', value: 'Paris' }]) });
    expect([ids(filtered.body), filtered.body.total]).toEqual([['alice'], 1]);
    const p1 = await contacts({ cohortId: pipeline.body.id, stepId: fresh.id, limit: 1 });
    expect([ids(p1.body), p1.body.total]).toEqual([['alice'], 2]);
    const p2 = await contacts({ cohortId: pipeline.body.id, stepId: fresh.id, limit: 1, cursor: p1.body.nextCursor! });
    expect([ids(p2.body), p2.body.nextCursor]).toEqual([['carol'], null]);
    const bob = (await contacts({ q: 'bob' })).body.items[0];
    expect(bob.cohorts.find((c) => c.id === pipeline.body.id)).toEqual({ id: pipeline.body.id, name: 'Pipeline', stepId: contacted.id, stepName: 'Contacted' });
    // A cohort without a board has no step; a step of another cohort is unknown here.
    expect(bob.cohorts.filter((c) => c.id !== pipeline.body.id).every((c) => c.stepId === null && c.stepName === null)).toBe(true);
    const other = await api('POST', '/v1/cohorts', { name: 'Other board', kind: 'static' });
    expect((await contacts({ cohortId: other.body.id, stepId: fresh.id })).status).toBe(404);
    expect((await contacts({ cohortId: pipeline.body.id, stepId: 'st_unknown' })).status).toBe(404);
  });

  it('every role reads contacts, and each sees only the cohorts it may see', async () => {
    const session = async (email: string, role: string) => {
      const made = await api('POST', '/v1/accounts', { email, name: role, role, password: 'correct horse battery' });
      expect(made.status, JSON.stringify(made.body)).toBe(201);
      const login = await api('POST', '/v1/auth/login', { email, password: 'correct horse battery' }, {});
      expect(login.status).toBe(200);
      return { authorization: `Bearer ${login.body.token}` };
    };
    const member = await session('member@example.com', 'member');
    const viewer = await session('viewer@example.com', 'viewer');
    const adminOnly = await api('POST', '/v1/cohorts', { name: 'Admin list', kind: 'static' });
    await api('POST', `/v1/cohorts/${adminOnly.body.id}/members`, { userIds: ['dave'] });
    const own = await api('POST', '/v1/cohorts', { name: 'Member list', kind: 'static' }, member);
    expect(own.status, JSON.stringify(own.body)).toBe(201);
    expect((await api('POST', `/v1/cohorts/${own.body.id}/members`, { userIds: ['dave'] }, member)).status).toBe(200);

    const daveAs = async (headers: Record<string, string>) => {
      const r = await api('GET', '/v1/contacts?q=dave', undefined, headers);
      expect(r.status).toBe(200);
      return (r.body as Page).items[0].cohorts.map((c) => c.name);
    };
    expect(await daveAs(admin)).toEqual(['Admin list', 'Member list']);
    expect(await daveAs(member)).toEqual(['Member list']);
    expect(await daveAs(viewer)).toEqual([]);
    // A cohort the caller cannot see answers like an unknown one.
    expect((await api('GET', `/v1/contacts?cohortId=${adminOnly.body.id}`, undefined, member)).status).toBe(404);
    expect((await api('GET', `/v1/contacts?cohortId=${own.body.id}`, undefined, viewer)).status).toBe(404);
    const scoped = await api('GET', `/v1/contacts?cohortId=${own.body.id}`, undefined, member);
    expect(ids(scoped.body as Page)).toEqual(['dave']);
  });

  it('needs a management credential', async () => {
    expect((await api('GET', '/v1/contacts', undefined, {})).status).toBe(401);
    expect((await api('GET', '/v1/contacts', undefined, { authorization: `Bearer ${WRITE}` })).status).toBe(401);
  });
});
