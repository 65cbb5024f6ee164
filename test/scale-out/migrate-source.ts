/**
 * An embedded store to migrate (test/scale-out/migrate.test.ts): the demo shop
 * data (`kohort seed`), then through the API a saved cohort with members and
 * history, a static cohort, a destination with a sealed secret, a sync whose
 * run left an acknowledged set, a workflow with a queued step action, an
 * account with a personal token, audit rows, and alias merges.
 */
import { expect, vi } from 'vitest';
import { MockReceiver } from '../../src/destinations/test-support/mock-receiver.js';
import { createKohort } from '../../src/main.js';
import { seed } from '../../src/seed/seed-command.js';
import { join } from 'node:path';

export const ADMIN = 'kha_migrate_admin_token_0123';
const WRITE = 'khw_migrate_write_key_0123';
export const HOOK_SECRET = 'whsec_bWlncmF0ZS1ob29rLXNlY3JldC0wMTIzNDU2Nzg5';

export interface SeededStore {
  buyers: string;
  vip: string;
  destination: string;
  sync: string;
  token: string;
  /** Person keys of the two people merged by an alias (from, into). */
  mergedUserIds: [string, string];
}

export async function seedEmbeddedStore(dir: string, opts: { users: number; events: number }): Promise<SeededStore> {
  await seed(dir, { users: opts.users, events: opts.events, days: 60, seed: 7 }, () => undefined, { end: new Date('2026-11-30T00:00:00Z') });
  const receiver = await new MockReceiver().start();
  const k = await createKohort({
    dbPath: join(dir, 'kohort.duckdb'), adminToken: ADMIN, writeKey: WRITE, background: false, schedulers: false,
    passwordCost: { N: 1024, r: 8, p: 1 }, allowPrivateUrls: '127.0.0.1',
  });
  const api = async (method: string, url: string, body?: unknown, token = ADMIN) => {
    const r = await k.app.inject({ method: method as 'GET', url, payload: body as object, headers: { authorization: `Bearer ${token}` } });
    return { status: r.statusCode, body: r.body ? r.json() : undefined };
  };
  try {
    const basic = `Basic ${Buffer.from(`${WRITE}:`).toString('base64')}`;
    const ingest = async (batch: object[]) => {
      const r = await k.app.inject({ method: 'POST', url: '/v1/batch', payload: { batch }, headers: { authorization: basic } });
      expect(r.statusCode, r.body).toBe(200);
    };
    const ts = '2026-11-20T10:00:00.000Z';
    await ingest([
      { type: 'track', userId: 'merge-a', event: 'purchase', timestamp: ts, properties: { brand: 'acme', price: 10 } },
      { type: 'track', userId: 'merge-b', event: 'view', timestamp: ts, properties: { brand: 'acme' } },
      { type: 'track', anonymousId: 'anon-9', event: 'purchase', timestamp: ts, properties: { brand: 'hooli' } },
      { type: 'identify', userId: 'merge-a', traits: { plan: 'pro' }, timestamp: ts },
      // A time ClickHouse 18.16 cannot hold: reported by the migration, not copied.
      { type: 'track', userId: 'merge-b', event: 'old', timestamp: '1965-05-01T00:00:00.000Z' },
    ]);
    // Two known people merged (merge-a's rows move to merge-b), and an anonymous person identified.
    await ingest([{ type: 'alias', previousId: 'merge-a', userId: 'merge-b' }, { type: 'alias', previousId: 'anon-9', userId: 'known-9' }]);

    const buyers = await api('POST', '/v1/cohorts', { name: 'Buyers', definition: { match: 'all', rules: [{ type: 'event', event: 'purchase' }] } });
    expect(buyers.status, JSON.stringify(buyers.body)).toBe(201);
    expect((await api('POST', `/v1/cohorts/${buyers.body.id}/refresh`)).status).toBe(200);
    const some = (await api('GET', `/v1/cohorts/${buyers.body.id}/members?limit=5`)).body.items as string[];
    const vip = await api('POST', '/v1/cohorts', { name: 'VIP', kind: 'static' });
    const listed = await api('POST', `/v1/cohorts/${vip.body.id}/members`, { userIds: [...some.filter((u) => u !== 'known-9').slice(0, 3), 'known-9'] });
    expect(listed.body, JSON.stringify(listed.body)).toMatchObject({ added: 4 });

    const dest = await api('POST', '/v1/destinations', { name: 'Hook', type: 'webhook', config: { url: `${receiver.url}/hook`, secret: HOOK_SECRET } });
    expect(dest.status, JSON.stringify(dest.body)).toBe(201);
    const sync = await api('POST', '/v1/syncs', { cohortId: buyers.body.id, destinationId: dest.body.id, frequency: 'daily' });
    expect(sync.status, JSON.stringify(sync.body)).toBe(201);
    expect((await api('POST', `/v1/syncs/${sync.body.id}/run`)).status).toBe(202);
    await vi.waitFor(async () => expect((await api('GET', `/v1/syncs/${sync.body.id}/runs`)).body[0]?.status).toBe('succeeded'), { timeout: 30_000, interval: 100 });

    const steps = await api('PUT', `/v1/cohorts/${buyers.body.id}/steps`, {
      steps: [{ name: 'New' }, { name: 'Called', action: { type: 'webhook', url: `${receiver.url}/step`, secret: HOOK_SECRET } }],
    });
    expect(steps.status, JSON.stringify(steps.body)).toBe(200);
    expect((await api('POST', `/v1/cohorts/${buyers.body.id}/cards/${encodeURIComponent(some[0])}/move`, { stepId: steps.body[1].id })).status).toBe(200);

    expect((await api('POST', '/v1/accounts', { email: 'ana@example.com', name: 'Ana', role: 'member', password: 'password-123' })).status).toBe(201);
    const session = (await api('POST', '/v1/auth/login', { email: 'ana@example.com', password: 'password-123' }, '')).body.token as string;
    const token = await api('POST', '/v1/me/tokens', { name: 'ci' }, session);
    expect(token.status).toBe(201);
    return {
      buyers: buyers.body.id, vip: vip.body.id, destination: dest.body.id, sync: sync.body.id, token: token.body.token,
      mergedUserIds: ['merge-a', 'merge-b'],
    };
  } finally {
    await k.close();
    await receiver.close();
  }
}
