import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { createKohort, type Kohort } from '../main.js';

/** The members CSV with trait columns: `GET /v1/cohorts/:id/members?traits=...` with Accept: text/csv. */
const ADMIN = 'kha_members_csv_traits';
const auth = { authorization: `Bearer ${ADMIN}` };
let k: Kohort;
let cohortId: string;

const csv = async (id: string, traits?: string) => {
  const url = `/v1/cohorts/${id}/members${traits === undefined ? '' : `?traits=${encodeURIComponent(traits)}`}`;
  return k.app.inject({ method: 'GET', url, headers: { ...auth, accept: 'text/csv' } });
};
const rows = (body: string) => parse(body) as string[][];

beforeAll(async () => {
  k = await createKohort({ dbPath: ':memory:', adminToken: ADMIN, writeKey: `${ADMIN}_w`, background: false, schedulers: false });
  const people = [
    { userId: 'ann', traits: { email: 'ann@example.com', plan: 'pro', address: { city: 'Oslo' }, '@evil': 'x' } },
    { userId: 'bob', traits: { email: '=HYPERLINK("http://evil","click")', plan: 'free', seats: 3, vip: true } },
    { userId: 'cy', traits: { plan: null } },
    { userId: 'dee', traits: {} },
    { userId: 'outsider', traits: { email: 'out@example.com', secret: 'not a member trait' } },
  ];
  const batch = { batch: people.map((p) => ({ type: 'identify', ...p })) };
  expect((await k.app.inject({ method: 'POST', url: '/v1/batch', headers: { authorization: `Bearer ${ADMIN}_w` }, payload: batch })).statusCode).toBe(200);
  // A later identify changes a trait: the CSV shows the current value.
  const later = { type: 'identify', userId: 'ann', traits: { plan: 'enterprise' }, timestamp: new Date(Date.now() + 1000).toISOString() };
  expect((await k.app.inject({ method: 'POST', url: '/v1/batch', headers: { authorization: `Bearer ${ADMIN}_w` }, payload: { batch: [later] } })).statusCode).toBe(200);
  cohortId = (await k.app.inject({ method: 'POST', url: '/v1/cohorts', headers: auth, payload: { name: 'List', kind: 'static' } })).json().id;
  const added = await k.app.inject({ method: 'POST', url: `/v1/cohorts/${cohortId}/members`, headers: auth, payload: { userIds: ['dee', 'cy', 'bob', 'ann'] } });
  expect(added.json().added).toBe(4);
});
afterAll(() => k?.close());

describe('members CSV with traits', () => {
  it('adds one column per trait asked for, in that order, with current values; unknown traits stay empty', async () => {
    const r = await csv(cohortId, 'plan, email,no_such_trait,seats,address,vip,plan');
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/csv/);
    expect(r.headers['content-disposition']).toContain('attachment');
    expect(rows(r.body)).toEqual([
      ['user_id', 'plan', 'email', 'no_such_trait', 'seats', 'address', 'vip'],
      ['ann', 'enterprise', 'ann@example.com', '', '', '{"city":"Oslo"}', ''],
      ['bob', 'free', '\'=HYPERLINK("http://evil","click")', '', '3', '', 'true'],
      ['cy', '', '', '', '', '', ''],
      ['dee', '', '', '', '', '', ''],
    ]);
  });

  it('traits=all gives every trait key the members have (not other people\'s), sorted, header cells neutralised too', async () => {
    const r = await csv(cohortId, 'all');
    expect(r.statusCode).toBe(200);
    const [header, ...body] = rows(r.body);
    expect(header).toEqual(['user_id', "'@evil", 'address', 'email', 'plan', 'seats', 'vip']);
    expect(body.map((x) => x[0])).toEqual(['ann', 'bob', 'cy', 'dee']);
    expect(body[0]).toEqual(['ann', 'x', '{"city":"Oslo"}', 'ann@example.com', 'enterprise', '', '']);
    expect(r.body).not.toContain('not a member trait');
  });

  it('without traits the export stays user ids only', async () => {
    const r = await csv(cohortId);
    expect(rows(r.body)).toEqual([['user_id'], ['ann'], ['bob'], ['cy'], ['dee']]);
  });

  it('rejects an empty key list with 400 invalid_input, and an unknown cohort with 404, before any CSV is sent', async () => {
    for (const bad of ['', 'email,,plan', ',', Array.from({ length: 101 }, (_, i) => `t${i}`).join(',')]) {
      const r = await csv(cohortId, bad);
      expect(r.statusCode, bad).toBe(400);
      expect(r.json().error.code).toBe('invalid_input');
    }
    const missing = await csv('no-such-cohort', 'email');
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('not_found');
  });

  it('streams a membership bigger than one read chunk, in user id order', async () => {
    const n = 5000;
    const ids = Array.from({ length: n }, (_, i) => `u${String(i).padStart(5, '0')}`);
    for (let at = 0; at < n; at += 1000) {
      const batch = { batch: ids.slice(at, at + 1000).map((userId, i) => ({ type: 'identify', userId, traits: { n: at + i } })) };
      expect((await k.app.inject({ method: 'POST', url: '/v1/batch', headers: { authorization: `Bearer ${ADMIN}_w` }, payload: batch })).statusCode).toBe(200);
    }
    const big = (await k.app.inject({ method: 'POST', url: '/v1/cohorts', headers: auth, payload: { name: 'Big', kind: 'static' } })).json().id;
    expect((await k.app.inject({ method: 'POST', url: `/v1/cohorts/${big}/members`, headers: auth, payload: { userIds: [...ids].reverse() } })).json().added).toBe(n);
    const [header, ...body] = rows((await csv(big, 'n')).body);
    expect(header).toEqual(['user_id', 'n']);
    expect(body).toEqual(ids.map((id, i) => [id, String(i)]));
  });
});
