import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKohort, type Kohort } from '../main.js';
import { rawDuckDBFile } from '../storage/duckdb/test-support/raw-duckdb.js';

/**
 * Numbers outside what the engine compares exactly are a 400, never a 500
 * (api.md, Security rules): property and aggregate values are finite doubles
 * (bound as DOUBLE, so 2^63 or 1e308 compare like any number), counts stay
 * within ±(2^53 - 1). Bodies are sent as raw JSON text so 1e309 (Infinity)
 * and 9223372036854775808 reach the server as written.
 */
const ADMIN = 'kha_number_fuzz';
const WRITE = 'khw_number_fuzz';
let k: Kohort;

const EXTREME = ['9223372036854775808', '-9223372036854775809', '18446744073709551616', '1e308', '-1e308', '1e309', '-1e309', '4.9e-324', '9007199254740993', '2147483648', '1e-400', '0', '-0', '1.5'];
const extreme = fc.constantFrom(...EXTREME);
const op = fc.constantFrom('eq', 'neq', 'gt', 'gte', 'lt', 'lte');

/** A definition's JSON text holding the number `n` in one of the places numbers go. */
const definitionText = fc.tuple(extreme, extreme, op, fc.integer({ min: 0, max: 5 })).map(([n, m, o, place]) => {
  const rule = [
    `{"type":"event","event":"buy","where":[{"property":"price","op":"${o}","value":${n}}]}`,
    `{"type":"event","event":"buy","where":[{"property":"price","op":"in","value":[${n},${m}]}]}`,
    `{"type":"event","event":"buy","count":{"op":"${o}","value":${n}}}`,
    `{"type":"event","event":"buy","count":{"op":"between","value":[${n},${m}]}}`,
    `{"type":"event","event":"buy","aggregate":{"fn":"sum","property":"price","op":"${o}","value":${n}}}`,
    `{"type":"property","property":"plan","op":"between","value":[${n},${m}]}`,
  ][place];
  return `{"match":"all","rules":[${rule}]}`;
});

const send = (method: 'GET' | 'POST', url: string, payload?: string) =>
  k.app.inject({ method, url, payload, headers: { authorization: `Bearer ${ADMIN}`, ...(payload ? { 'content-type': 'application/json' } : {}) } });

beforeAll(async () => {
  k = await createKohort({ dbPath: ':memory:', adminToken: ADMIN, writeKey: WRITE, background: false, schedulers: false });
  const r = await k.app.inject({
    method: 'POST', url: '/v1/batch', headers: { authorization: `Bearer ${WRITE}`, 'content-type': 'application/json' },
    payload: '{"batch":[{"type":"track","userId":"u1","event":"buy","properties":{"price":9223372036854775808}},{"type":"track","userId":"u2","event":"buy","properties":{"price":1e308}},{"type":"identify","userId":"u1","traits":{"plan":1e300}}]}',
  });
  expect(r.statusCode, r.body).toBe(200);
});
afterAll(() => k?.close());

describe('extreme numbers', () => {
  it('in preview, create and contacts filters: a 200/201 or a 400, never a 500; a refused create stores nothing', { timeout: 120_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(definitionText, async (def) => {
        const before = (await k.cohorts.all()).length;
        const preview = await send('POST', '/v1/cohorts/preview', `{"definition":${def}}`);
        expect([200, 400], `${def} -> ${preview.body}`).toContain(preview.statusCode);
        const created = await send('POST', '/v1/cohorts', `{"name":"n","definition":${def}}`);
        expect([201, 400], `${def} -> ${created.body}`).toContain(created.statusCode);
        // Preview and create agree on what is valid; a refusal stores nothing.
        expect(created.statusCode === 201, def).toBe(preview.statusCode === 200);
        expect((await k.cohorts.all()).length).toBe(before + (created.statusCode === 201 ? 1 : 0));
        if (created.statusCode === 201) expect(created.json().calculation.state, def).not.toBe('failed');
      }),
      { numRuns: 60 },
    );
    await fc.assert(
      fc.asyncProperty(extreme, op, async (n, o) => {
        const filters = encodeURIComponent(`[{"property":"plan","op":"${o}","value":${n}}]`);
        const r = await send('GET', `/v1/contacts?filters=${filters}`);
        expect([200, 400], `${n} -> ${r.body}`).toContain(r.statusCode);
      }),
      { numRuns: 30 },
    );
  });

  it('compares them exactly: 2^63 and 1e308 are found by the filters that name them', async () => {
    const size = async (def: string) => (await send('POST', '/v1/cohorts/preview', `{"definition":${def}}`)).json().size;
    expect(await size('{"match":"all","rules":[{"type":"event","event":"buy","where":[{"property":"price","op":"eq","value":9223372036854775808}]}]}')).toBe(1);
    expect(await size('{"match":"all","rules":[{"type":"event","event":"buy","where":[{"property":"price","op":"gte","value":1e308}]}]}')).toBe(1);
    expect(await size('{"match":"all","rules":[{"type":"property","property":"plan","op":"gt","value":9223372036854775808}]}')).toBe(1);
    const r = await send('POST', '/v1/cohorts/preview', '{"definition":{"match":"all","rules":[{"type":"event","event":"buy","count":{"op":"gt","value":9223372036854775808}}]}}');
    expect(r.statusCode).toBe(400);
    expect(r.json().error.details[0]).toMatchObject({ path: 'rules[0].count.value', message: expect.stringContaining('9007199254740991') });
  });
});

describe('a cohort stored before these checks', () => {
  it('does not break the next start, and computes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kohort-numbers-'));
    try {
      const path = join(dir, 'kohort.duckdb');
      const opts = { dbPath: path, adminToken: ADMIN, writeKey: WRITE, background: false, schedulers: false };
      const first = await createKohort(opts);
      const made = (await first.app.inject({ method: 'POST', url: '/v1/cohorts', headers: { authorization: `Bearer ${ADMIN}` },
        payload: { name: 'old', definition: { match: 'all', rules: [{ type: 'event', event: 'buy', where: [{ property: 'price', op: 'gt', value: 1 }] }] } } })).json();
      // As an older version stored it: a count beyond int64 inside the saved definition.
      const doc = { ...made, definition: { match: 'all', rules: [{ type: 'event', event: 'buy', count: { op: 'lt', value: 9223372036854775808 } }] } };
      await rawDuckDBFile(first).writer.run('UPDATE cohorts SET doc = ? WHERE id = ?', [JSON.stringify(doc), made.id]);
      await first.close();

      const second = await createKohort({ ...opts, schedulers: true });
      try {
        const refreshed = (await second.app.inject({ method: 'POST', url: `/v1/cohorts/${made.id}/refresh`, headers: { authorization: `Bearer ${ADMIN}` } })).json();
        expect(refreshed.calculation).toMatchObject({ state: 'idle', lastError: null });
        expect((await second.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
