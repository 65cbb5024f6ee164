import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError } from '../../test/support/test-app.js';
import { createKohort, type Kohort } from '../main.js';
import { addMember, FAST_SCRYPT, type TeamMember } from './test-support/team.js';

const ADMIN = 'kha_amplitude_cohort_api';
const WRITE = 'khw_amplitude_cohort_api';
const basic = (token: string) => ({ authorization: `Basic ${Buffer.from(`${token}:ignored`).toString('base64')}` });
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

let k: Kohort;
let ann: TeamMember;
let annToken: string;
const c = { annList: '', hidden: '' };

async function get(url: string, headers: Record<string, string> = basic(ADMIN)) {
  return k.app.inject({ method: 'GET', url, headers });
}
async function post(url: string, payload: unknown, headers: Record<string, string> = bearer(ADMIN)) {
  const r = await k.app.inject({ method: 'POST', url, payload: payload as never, headers });
  expect(r.statusCode, r.body).toBeLessThan(300);
  return r.json();
}

/** Ingests users with traits (one with a formula-like id and values), and makes two static cohorts. */
async function seed(kohort: Kohort) {
  k = kohort;
  const batch = [
    { type: 'identify', userId: 'alice', traits: { plan: 'pro', score: 3, tags: ['a', 'b'], address: { city: 'Oslo' } } },
    { type: 'identify', userId: 'bob', traits: { plan: 'free', note: '-2+3' } },
    { type: 'identify', userId: '=HYPERLINK("x")', traits: { plan: '@admin', score: -1 } },
    { type: 'track', userId: 'carol', event: 'view' },
  ];
  await post('/v1/batch', { batch }, bearer(WRITE));
}

describe("Amplitude's cohort API", () => {
  beforeAll(async () => {
    await seed(await createKohort({ dbPath: ':memory:', adminToken: ADMIN, writeKey: WRITE, background: false, schedulers: false, exportWorker: false, passwordCost: FAST_SCRYPT }));
    ann = await addMember(k, ADMIN, 'member', 'ann');
    annToken = (await post('/v1/me/tokens', { name: 'export tool' }, bearer(ann.token))).token;
    c.annList = (await post('/v1/cohorts', { name: 'Ann list', kind: 'static', description: 'by ann' }, bearer(ann.token))).id;
    await post(`/v1/cohorts/${c.annList}/members`, { userIds: ['alice', 'bob', '=HYPERLINK("x")'] }, bearer(ann.token));
    c.hidden = (await post('/v1/cohorts', { name: 'Admin only', kind: 'static' })).id;
    await post(`/v1/cohorts/${c.hidden}/members`, { userIds: ['carol'] });
  });
  afterAll(() => k.close());

  it('lists the cohorts the caller sees, with Basic or Bearer, admin or personal token', async () => {
    const all = (await get('/api/3/cohorts')).json().cohorts;
    expect(all.map((x: { name: string }) => x.name)).toEqual(['Admin only', 'Ann list']);
    const mine = all.find((x: { id: string }) => x.id === c.annList);
    expect(mine).toEqual({
      id: c.annList, name: 'Ann list', description: 'by ann', size: 3, lastComputed: expect.any(Number), archived: false,
      type: 'static', owners: [ann.email], createdAt: expect.any(Number),
    });
    expect(all.find((x: { id: string }) => x.id === c.hidden).owners).toEqual([]);
    for (const h of [basic(annToken), bearer(annToken)]) {
      expect((await get('/api/3/cohorts', h)).json().cohorts.map((x: { id: string }) => x.id)).toEqual([c.annList]);
    }
    expectError(await get('/api/3/cohorts', {}), 401, 'unauthorized');
    expectError(await get('/api/3/cohorts', basic('not-a-token')), 401, 'unauthorized');
  });

  it('exports members with traits: request (202), status in progress, then completed, then the CSV', async () => {
    const req = await get(`/api/5/cohorts/request/${c.annList}?props=1`, basic(annToken));
    expect(req.statusCode, req.body).toBe(202);
    const { request_id: id, cohort_id } = req.json();
    expect(cohort_id).toBe(c.annList);
    expect(id).toMatch(/^[0-9a-f]{24}$/);

    const pending = await get(`/api/5/cohorts/request-status/${id}`, basic(annToken));
    expect(pending.statusCode).toBe(202);
    expect(pending.json()).toEqual({ request_id: id, cohort_id: c.annList, async_status: 'JOB INPROGRESS' });
    expectError(await get(`/api/5/cohorts/request/${id}/file`, basic(annToken)), 409, 'export_not_ready');

    await k.exports.drain();
    const done = await get(`/api/5/cohorts/request-status/${id}`, bearer(annToken));
    expect(done.statusCode).toBe(200);
    expect(done.json()).toEqual({ request_id: id, cohort_id: c.annList, async_status: 'JOB COMPLETED' });

    const file = await get(`/api/5/cohorts/request/${id}/file`, basic(annToken));
    expect(file.statusCode).toBe(200);
    expect(file.headers['content-type']).toContain('text/csv');
    const rows = parse(file.body) as string[][];
    expect(rows).toEqual([
      ['user_id', 'address', 'note', 'plan', 'score', 'tags'],
      ["'=HYPERLINK(\"x\")", '', '', "'@admin", "'-1", ''],
      ['alice', '{"city":"Oslo"}', '', 'pro', '3', '["a","b"]'],
      ['bob', '', "'-2+3", 'free', '', ''],
    ]);
  });

  it('without props the file has only user_id; the members are those at the time of the request', async () => {
    const { request_id: id } = (await get(`/api/5/cohorts/request/${c.annList}?props=0`)).json();
    const removed = await k.app.inject({ method: 'DELETE', url: `/v1/cohorts/${c.annList}/members`, payload: { userIds: ['bob'] }, headers: bearer(ADMIN) });
    expect(removed.statusCode).toBe(200);
    await k.exports.drain();
    const file = await get(`/api/5/cohorts/request/${id}/file`);
    expect(parse(file.body)).toEqual([['user_id'], ["'=HYPERLINK(\"x\")"], ['alice'], ['bob']]);
    await post(`/v1/cohorts/${c.annList}/members`, { userIds: ['bob'] });
  });

  it('a cohort or export the caller cannot see is unknown (404); bad input is a 400', async () => {
    expectError(await get(`/api/5/cohorts/request/${c.hidden}`, basic(annToken)), 404, 'not_found');
    expectError(await get('/api/5/cohorts/request/no-such-cohort'), 404, 'not_found');
    const { request_id: id } = (await get(`/api/5/cohorts/request/${c.hidden}`)).json();
    await k.exports.drain();
    for (const url of [`/api/5/cohorts/request-status/${id}`, `/api/5/cohorts/request/${id}/file`]) {
      const e = expectError(await get(url, basic(annToken)), 404, 'not_found');
      expect(e.message).not.toContain(c.hidden);
    }
    expect(parse((await get(`/api/5/cohorts/request/${id}/file`)).body)).toEqual([['user_id'], ['carol']]);
    expectError(await get('/api/5/cohorts/request-status/nope'), 404, 'not_found');
    const bad = expectError(await get(`/api/5/cohorts/request/${c.annList}?props=2`), 400, 'invalid_input');
    expect(bad.details).toEqual([expect.objectContaining({ field: 'props' })]);
    // Credentials are checked before the input.
    expectError(await get(`/api/5/cohorts/request/${c.annList}?props=2`, {}), 401, 'unauthorized');
  });

  it('access is checked when the export runs: a deleted cohort or a disabled requester fails it, with a reason', async () => {
    const temp = (await post('/v1/cohorts', { name: 'Temp', kind: 'static' }, bearer(ann.token))).id;
    const a = (await get(`/api/5/cohorts/request/${temp}`, bearer(annToken))).json().request_id;
    const b = (await get(`/api/5/cohorts/request/${c.annList}`, bearer(annToken))).json().request_id;
    expect((await k.app.inject({ method: 'DELETE', url: `/v1/cohorts/${temp}`, headers: bearer(ADMIN) })).statusCode).toBe(204);
    const off = await k.app.inject({ method: 'PATCH', url: `/v1/accounts/${ann.id}`, payload: { disabled: true }, headers: bearer(ADMIN) });
    expect(off.statusCode).toBe(200);
    await k.exports.drain();
    const sa = (await get(`/api/5/cohorts/request-status/${a}`)).json();
    expect(sa).toEqual({ request_id: a, cohort_id: temp, async_status: 'JOB FAILED', error: expect.stringContaining('deleted') });
    const sb = (await get(`/api/5/cohorts/request-status/${b}`)).json();
    expect(sb).toEqual({ request_id: b, cohort_id: c.annList, async_status: 'JOB FAILED', error: expect.stringContaining('disabled') });
    expectError(await get(`/api/5/cohorts/request/${b}/file`), 409, 'export_failed');
    await k.app.inject({ method: 'PATCH', url: `/v1/accounts/${ann.id}`, payload: { disabled: false }, headers: bearer(ADMIN) });
  });
});

describe('export durability', () => {
  it('an export pending when the server stops is completed after the restart', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kohort-export-'));
    const open = (exportWorker: boolean) =>
      createKohort({ dbPath: path.join(dir, 'k.duckdb'), adminToken: ADMIN, writeKey: WRITE, background: false, schedulers: false, exportWorker });
    try {
      await seed(await open(false));
      const id = (await post('/v1/cohorts', { name: 'List', kind: 'static' })).id;
      await post(`/v1/cohorts/${id}/members`, { userIds: ['alice', 'bob'] });
      const r = await get(`/api/5/cohorts/request/${id}?props=1`);
      expect(r.statusCode).toBe(202);
      const requestId = r.json().request_id;
      expect((await get(`/api/5/cohorts/request-status/${requestId}`)).json().async_status).toBe('JOB INPROGRESS');
      await k.close();

      k = await open(true);
      await expect.poll(async () => (await get(`/api/5/cohorts/request-status/${requestId}`)).json().async_status).toBe('JOB COMPLETED');
      const rows = parse((await get(`/api/5/cohorts/request/${requestId}/file`)).body);
      expect(rows).toEqual([['user_id', 'address', 'note', 'plan', 'score', 'tags'], ['alice', '{"city":"Oslo"}', '', 'pro', '3', '["a","b"]'], ['bob', '', "'-2+3", 'free', '', '']]);
    } finally {
      await k.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
