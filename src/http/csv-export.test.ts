import { afterAll, beforeAll, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { createKohort, type Kohort } from '../main.js';

/** The members export writes formula-looking user ids with a leading ' (api.md, Security rules). */
const ADMIN = 'kha_csv_export';
let k: Kohort;
beforeAll(async () => {
  k = await createKohort({ dbPath: ':memory:', adminToken: ADMIN, writeKey: `${ADMIN}_w`, background: false, schedulers: false });
});
afterAll(() => k?.close());

it('neutralises =, +, -, @, at the start of a cell (tab and CR: file-export.test.ts), and still round-trips through a CSV reader', async () => {
  const auth = { authorization: `Bearer ${ADMIN}` };
  const ids = ['=HYPERLINK("http://evil","click")', '+cmd', '-1+1', '@SUM(1)', 'plain', 'a,b'];
  const batch = { batch: ids.map((userId) => ({ type: 'identify', userId, traits: {} })) };
  expect((await k.app.inject({ method: 'POST', url: '/v1/batch', headers: { authorization: `Bearer ${ADMIN}_w` }, payload: batch })).statusCode).toBe(200);
  const c = (await k.app.inject({ method: 'POST', url: '/v1/cohorts', headers: auth, payload: { name: 'List', kind: 'static' } })).json();
  const added = await k.app.inject({ method: 'POST', url: `/v1/cohorts/${c.id}/members`, headers: auth, payload: { userIds: ids } });
  expect(added.json().added).toBe(ids.length);
  const csv = await k.app.inject({ method: 'GET', url: `/v1/cohorts/${c.id}/members`, headers: { ...auth, accept: 'text/csv' } });
  const cells = (parse(csv.body) as string[][]).map((r) => r[0]);
  expect(cells[0]).toBe('user_id');
  expect(cells.slice(1).sort()).toEqual(["'+cmd", "'-1+1", "'=HYPERLINK(\"http://evil\",\"click\")", "'@SUM(1)", 'a,b', 'plain'].sort());
});
