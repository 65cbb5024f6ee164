import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MockReceiver } from '../destinations/test-support/mock-receiver.js';
import { createKohort, type Kohort } from '../main.js';

const ADMIN = 'kha_sync_routes_test';
const WRITE = 'khw_sync_routes_test';
let k: Kohort;
let receiver: MockReceiver;

async function api(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown) {
  const r = await k.app.inject({ method, url, payload: payload as never, headers: { authorization: `Bearer ${ADMIN}` } });
  return { status: r.statusCode, body: r.body ? r.json() : undefined };
}

async function waitFor<T>(fn: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const v = await fn();
    if (ok(v)) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('condition not reached');
}

beforeAll(async () => {
  receiver = await new MockReceiver().start();
  k = await createKohort({ dbPath: ':memory:', adminToken: ADMIN, writeKey: WRITE, background: false, schedulers: false });
  const batch = ['u1', 'u2', 'u3'].map((userId) => ({ type: 'track', userId, event: 'purchase' }));
  await k.app.inject({ method: 'POST', url: '/v1/batch', payload: { batch }, headers: { authorization: `Bearer ${WRITE}` } });
});
afterAll(async () => {
  await k.close();
  await receiver.close();
});

describe('destination and sync routes', () => {
  it('creates a webhook destination with the secret shown once, then masked', async () => {
    const d = await api('POST', '/v1/destinations', { name: 'Hook', type: 'webhook', config: { url: `${receiver.url}/hook` } });
    expect(d.status).toBe(201);
    expect(d.body.config.secret).toBe('••••');
    const listed = await api('GET', '/v1/destinations');
    expect(JSON.stringify(listed.body)).not.toMatch(/whsec_/);
    expect((await api('POST', '/v1/destinations', { name: 'Bad', type: 'webhook', config: { url: 'not a url' } })).status).toBe(400);
    expect((await api('POST', '/v1/destinations', { name: 'Bad', type: 'carrier_pigeon', config: {} })).status).toBe(400);
  });

  it('syncs a cohort to the webhook, answers sync_exists for a second sync, records the run', async () => {
    const cohort = (await api('POST', '/v1/cohorts', { name: 'Buyers', definition: { match: 'all', rules: [{ type: 'event', event: 'purchase' }] } })).body;
    const dest = (await api('GET', '/v1/destinations')).body[0];
    const s = await api('POST', '/v1/syncs', { cohortId: cohort.id, destinationId: dest.id, frequency: 'daily' });
    expect(s.status).toBe(201);
    const dup = await api('POST', '/v1/syncs', { cohortId: cohort.id, destinationId: dest.id, frequency: 'hourly' });
    expect(dup.status).toBe(409);
    expect(dup.body.error).toMatchObject({ code: 'sync_exists', details: { syncId: s.body.id } });

    const run = await api('POST', `/v1/syncs/${s.body.id}/run`);
    expect(run.status).toBe(202);
    const runs = await waitFor(() => api('GET', `/v1/syncs/${s.body.id}/runs`), (r) => r.body[0]?.status !== 'running');
    expect(runs.body[0]).toMatchObject({ status: 'succeeded', full: true, added: 3, removed: 0, failed: 0 });
    const sent = receiver.requests.filter((r) => r.path === '/hook').flatMap((r) => r.json.users.map((u: { userId: string }) => u.userId));
    expect(sent.sort()).toEqual(['u1', 'u2', 'u3']);

    const del = await api('DELETE', `/v1/cohorts/${cohort.id}`);
    expect(del.status).toBe(409);
    expect(del.body.error.code).toBe('cohort_has_syncs');
    expect((await api('DELETE', `/v1/cohorts/${cohort.id}?force=true`)).status).toBe(204);
    expect((await api('GET', `/v1/syncs/${s.body.id}`)).status).toBe(404);
  });
});
