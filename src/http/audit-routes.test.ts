import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError } from '../../test/support/test-app.js';
import { createKohort, type Kohort } from '../main.js';
import { createAccountService } from '../services/accounts/account-service.js';
import { createAuditService } from '../services/accounts/audit.js';
import { createEventsService } from '../services/events.js';
import { createIngestService } from '../services/ingest.js';
import { ACCOUNT_MIGRATIONS } from '../storage/duckdb/account-migrations.js';
import { createDuckDBAccountStore } from '../storage/duckdb/account-store.js';
import { openDatabase } from '../storage/duckdb/database.js';
import { openDuckDBEventStore } from '../storage/duckdb/duckdb-event-store.js';
import { registerAccountRoutes } from './account-routes.js';
import { buildApp, loggerOptions } from './app.js';
import { registerAuditRoutes } from './audit-routes.js';
import { createAuthenticator } from './auth.js';

const ADMIN = 'kha_audit_routes_test';
const FAST = { N: 1024, r: 8, p: 1 };
const SECRET = 'very-secret-password-1';
let k: Kohort;

async function api(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, token: string | null, payload?: unknown) {
  const r = await k.app.inject({ method, url, payload: payload as never, headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: r.statusCode, body: r.body ? r.json() : undefined, raw: r };
}

const ids: Record<string, string> = {};
const sessions: Record<string, string> = {};

beforeAll(async () => {
  k = await createKohort({ dbPath: ':memory:', adminToken: ADMIN, writeKey: 'khw_audit_routes', background: false, schedulers: false, passwordCost: FAST });
  for (const role of ['owner', 'admin', 'member', 'viewer']) {
    const r = await api('POST', '/v1/accounts', ADMIN, { email: `${role}@x.io`, name: role, role, password: SECRET });
    ids[role] = r.body.id;
    sessions[role] = (await api('POST', '/v1/auth/login', null, { email: `${role}@x.io`, password: SECRET })).body.token;
  }
  await api('PATCH', `/v1/accounts/${ids.member}`, sessions.admin, { password: 'another-secret-password', name: 'Member M' });
  // The new password ended the member's session.
  expect((await api('GET', '/v1/me', sessions.member)).status).toBe(401);
  sessions.member = (await api('POST', '/v1/auth/login', null, { email: 'member@x.io', password: 'another-secret-password' })).body.token;
  await api('POST', '/v1/me/tokens', sessions.viewer, { name: 'viewer token' });
});
afterAll(() => k.close());

describe('GET /v1/audit', () => {
  it('is for admins and owners (and the bootstrap token); viewers and members get 403', async () => {
    for (const who of ['owner', 'admin']) expect((await api('GET', '/v1/audit', sessions[who])).status).toBe(200);
    expect((await api('GET', '/v1/audit', ADMIN)).status).toBe(200);
    for (const who of ['member', 'viewer']) expectError((await api('GET', '/v1/audit', sessions[who])).raw, 403, 'forbidden');
    expectError((await api('GET', '/v1/audit', null)).raw, 401, 'unauthorized');
  });

  it('records account, sign-in and token changes, newest first, without passwords or tokens', async () => {
    const r = await api('GET', '/v1/audit?limit=200', ADMIN);
    const actions = r.body.items.map((e: { action: string }) => e.action);
    expect(actions.slice(0, 3)).toEqual(['token.created', 'auth.login', 'account.updated']);
    expect(actions.filter((a: string) => a === 'account.created')).toHaveLength(4);
    expect(actions.filter((a: string) => a === 'auth.login')).toHaveLength(5);
    const update = r.body.items[2];
    expect(update).toMatchObject({ actor: { accountId: ids.admin, email: 'admin@x.io', via: 'session' }, resourceType: 'account', resourceId: ids.member });
    expect(update.summary).toContain('password changed');
    expect(r.raw.body).not.toMatch(/secret-password|scrypt|kse_|kpt_/);
  });

  it('filters by actor, action, resource and time, and pages with the cursor', async () => {
    const created = await api('GET', '/v1/audit?action=account.created', ADMIN);
    expect(created.body.items.map((e: { resourceId: string }) => e.resourceId)).toEqual([ids.viewer, ids.member, ids.admin, ids.owner]);
    expect(created.body.items.every((e: { actor: { via: string } }) => e.actor.via === 'admin_token')).toBe(true);
    const byAdmin = await api('GET', `/v1/audit?actor=${ids.admin}`, ADMIN);
    expect(byAdmin.body.items.map((e: { action: string }) => e.action)).toEqual(['account.updated', 'auth.login']);
    expect((await api('GET', '/v1/audit?actor=ADMIN%40x.io', ADMIN)).body.items).toEqual(byAdmin.body.items);
    const aboutMember = await api('GET', `/v1/audit?resourceType=account&resourceId=${ids.member}`, ADMIN);
    expect(aboutMember.body.items.map((e: { action: string }) => e.action)).toEqual(['auth.login', 'account.updated', 'auth.login', 'account.created']);
    expect((await api('GET', '/v1/audit?to=2000-01-01T00:00:00Z', ADMIN)).body).toEqual({ items: [], nextCursor: null });
    expect((await api('GET', `/v1/audit?from=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`, ADMIN)).body.items).toEqual([]);

    const all = (await api('GET', '/v1/audit?limit=200', ADMIN)).body.items;
    const paged = [];
    let url = '/v1/audit?limit=3';
    for (;;) {
      const page = (await api('GET', url, ADMIN)).body;
      paged.push(...page.items);
      if (!page.nextCursor) break;
      url = `/v1/audit?limit=3&cursor=${page.nextCursor}`;
    }
    expect(paged).toEqual(all);
  });

  it('refuses bad queries with 400 naming the field', async () => {
    for (const [q, field] of [
      ['limit=0', 'limit'],
      ['limit=lots', 'limit'],
      ['from=yesterday', 'from'],
      ['cursor=xyz', 'cursor'],
    ]) {
      const e = expectError((await api('GET', `/v1/audit?${q}`, ADMIN)).raw, 400, 'invalid_input');
      expect(JSON.stringify(e.details)).toContain(field);
    }
  });
});

describe('logs', () => {
  it('never carry passwords or tokens, even at trace level', async () => {
    const lines: string[] = [];
    const db = await openDatabase(':memory:', [ACCOUNT_MIGRATIONS], { readConnections: 1 });
    const events = await openDuckDBEventStore(db);
    const store = createDuckDBAccountStore(db, await db.connect());
    const audit = createAuditService(store);
    const accounts = createAccountService({ store, audit, scrypt: FAST });
    const auth = createAuthenticator(ADMIN, (t) => accounts.resolveToken(t));
    const app = await buildApp({
      auth,
      writeKey: 'w',
      version: 'test',
      ingest: createIngestService(events),
      events: createEventsService(events),
      logger: { ...loggerOptions('trace'), stream: { write: (l: string) => lines.push(l) } },
      plugins: [(a) => registerAccountRoutes(a, { accounts, auth }), (a) => registerAuditRoutes(a, { audit, auth })],
    });
    try {
      const inject = (method: 'POST' | 'PATCH', url: string, token: string | null, payload: unknown) =>
        app.inject({ method, url, payload: payload as never, headers: token ? { authorization: `Bearer ${token}` } : {} });
      await inject('POST', '/v1/accounts', ADMIN, { email: 'log@x.io', name: 'Log', role: 'member', password: SECRET });
      const session = (await inject('POST', '/v1/auth/login', null, { email: 'log@x.io', password: SECRET })).json().token as string;
      await inject('POST', '/v1/auth/login', null, { email: 'log@x.io', password: 'wrong-secret-password' });
      await inject('PATCH', '/v1/me', session, { password: 'new-secret-password', currentPassword: SECRET });
      const token = (await inject('POST', '/v1/me/tokens', session, { name: 't' })).json().token as string;
      expect(lines.length).toBeGreaterThan(5);
      const all = lines.join('\n');
      for (const s of [SECRET, 'wrong-secret-password', 'new-secret-password', session, token, ADMIN, 'scrypt$']) expect(all).not.toContain(s);
    } finally {
      await app.close();
      await events.close();
      await db.close();
    }
  });
});
