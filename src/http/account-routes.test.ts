import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError } from '../../test/support/test-app.js';
import { createKohort, type Kohort } from '../main.js';

const ADMIN = 'kha_account_routes_test';
const FAST = { N: 1024, r: 8, p: 1 };
let k: Kohort;

async function api(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, token: string | null, payload?: unknown) {
  const r = await k.app.inject({ method, url, payload: payload as never, headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: r.statusCode, body: r.body ? r.json() : undefined, headers: r.headers, raw: r };
}

async function makeAccount(email: string, role: string, password = 'password-123') {
  const r = await api('POST', '/v1/accounts', ADMIN, { email, name: email.split('@')[0], role, password });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body as { id: string; email: string };
}

async function login(email: string, password = 'password-123'): Promise<string> {
  const r = await api('POST', '/v1/auth/login', null, { email, password });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body.token;
}

beforeAll(async () => {
  k = await createKohort({ dbPath: ':memory:', adminToken: ADMIN, writeKey: 'khw_account_routes', background: false, schedulers: false, passwordCost: FAST });
  await makeAccount('owner@x.io', 'owner');
  await makeAccount('admin@x.io', 'admin');
  await makeAccount('member@x.io', 'member');
  await makeAccount('viewer@x.io', 'viewer');
});
afterAll(() => k.close());

describe('sign-in', () => {
  it('answers a session token, its expiry and the account, which then works on management routes', async () => {
    const r = await api('POST', '/v1/auth/login', null, { email: 'Member@X.io', password: 'password-123' });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      token: expect.stringMatching(/^kse_[A-Za-z0-9_-]{43}$/),
      expiresAt: expect.any(String),
      account: expect.objectContaining({ email: 'member@x.io', role: 'member', disabled: false, lastLoginAt: expect.any(String) }),
    });
    expect(Date.parse(r.body.expiresAt) - Date.now()).toBeGreaterThan(29 * 86_400_000);
    expect((await api('GET', '/v1/cohorts', r.body.token)).status).toBe(200);
    expect((await api('GET', '/v1/me', r.body.token)).body).toEqual({ account: r.body.account, role: 'member', via: 'session' });
  });

  it('gives the same 401 for an unknown email and a wrong password', async () => {
    const unknown = expectError((await api('POST', '/v1/auth/login', null, { email: 'nobody@x.io', password: 'password-123' })).raw, 401, 'invalid_credentials');
    const wrong = expectError((await api('POST', '/v1/auth/login', null, { email: 'viewer@x.io', password: 'password-124' })).raw, 401, 'invalid_credentials');
    expect(unknown.message).toBe(wrong.message);
  });

  it('refuses a malformed body with 400 naming the field', async () => {
    const e = expectError((await api('POST', '/v1/auth/login', null, { email: 'a@x.io' })).raw, 400, 'invalid_input');
    expect(JSON.stringify(e.details)).toContain('password');
  });

  it('answers 429 with Retry-After after 10 failures for an email', async () => {
    await makeAccount('throttled@x.io', 'viewer');
    for (let i = 0; i < 10; i++) expect((await api('POST', '/v1/auth/login', null, { email: 'throttled@x.io', password: `nope-${i}` })).status).toBe(401);
    const r = await api('POST', '/v1/auth/login', null, { email: 'throttled@x.io', password: 'password-123' });
    expectError(r.raw, 429, 'too_many_attempts');
    expect(Number(r.headers['retry-after'])).toBeGreaterThan(800);
    // Other emails are not affected.
    expect((await api('POST', '/v1/auth/login', null, { email: 'viewer@x.io', password: 'password-123' })).status).toBe(200);
  });

  it('logout ends the session; other sessions go on', async () => {
    const a = await login('viewer@x.io');
    const b = await login('viewer@x.io');
    expect((await api('POST', '/v1/auth/logout', a)).status).toBe(204);
    expectError((await api('GET', '/v1/cohorts', a)).raw, 401, 'unauthorized');
    expect((await api('GET', '/v1/cohorts', b)).status).toBe(200);
    expectError((await api('POST', '/v1/auth/logout', null)).raw, 401);
  });

  it('a disabled account\'s session stops working at once', async () => {
    const acc = await makeAccount('tobedisabled@x.io', 'member');
    const s = await login('tobedisabled@x.io');
    expect((await api('GET', '/v1/cohorts', s)).status).toBe(200);
    expect((await api('PATCH', `/v1/accounts/${acc.id}`, ADMIN, { disabled: true })).body.disabled).toBe(true);
    expectError((await api('GET', '/v1/cohorts', s)).raw, 401, 'unauthorized');
  });
});

describe('own profile and tokens', () => {
  it('the bootstrap token is the owner without an account, and has no tokens of its own', async () => {
    expect((await api('GET', '/v1/me', ADMIN)).body).toEqual({ account: null, role: 'owner', via: 'admin_token' });
    expectError((await api('POST', '/v1/me/tokens', ADMIN, { name: 'x' })).raw, 403, 'forbidden');
  });

  it('a password change needs the current password and ends the other sessions', async () => {
    await makeAccount('pw@x.io', 'viewer');
    const here = await login('pw@x.io');
    const elsewhere = await login('pw@x.io');
    const missing = expectError((await api('PATCH', '/v1/me', here, { password: 'brand-new-pass' })).raw, 400, 'invalid_input');
    expect(JSON.stringify(missing.details)).toContain('currentPassword');
    const r = await api('PATCH', '/v1/me', here, { password: 'brand-new-pass', currentPassword: 'password-123', name: 'PW' });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ email: 'pw@x.io', name: 'PW' });
    expect((await api('GET', '/v1/me', here)).status).toBe(200);
    expectError((await api('GET', '/v1/cohorts', elsewhere)).raw, 401);
    expectError((await api('POST', '/v1/auth/login', null, { email: 'pw@x.io', password: 'password-123' })).raw, 401, 'invalid_credentials');
    await login('pw@x.io', 'brand-new-pass');
  });

  it('a personal token is shown once, works as a bearer, is listed without its secret and can be revoked', async () => {
    const s = await login('member@x.io');
    const created = await api('POST', '/v1/me/tokens', s, { name: 'ci' });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ id: expect.any(String), name: 'ci', createdAt: expect.any(String), token: expect.stringMatching(/^kpt_[A-Za-z0-9_-]{43}$/) });
    const token = created.body.token;
    expect((await api('GET', '/v1/cohorts', token)).status).toBe(200);
    expect((await api('GET', '/v1/me', token)).body).toMatchObject({ role: 'member', via: 'api_token' });
    const listed = await api('GET', '/v1/me/tokens', s);
    expect(listed.body).toEqual([{ id: created.body.id, name: 'ci', createdAt: created.body.createdAt, lastUsedAt: expect.any(String) }]);
    expect(JSON.stringify(listed.body)).not.toContain(token);
    expect((await api('DELETE', `/v1/me/tokens/${created.body.id}`, s)).status).toBe(204);
    expectError((await api('GET', '/v1/cohorts', token)).raw, 401, 'unauthorized');
    expectError((await api('DELETE', `/v1/me/tokens/${created.body.id}`, s)).raw, 404, 'not_found');
    expectError((await api('POST', '/v1/me/tokens', s, { name: '' })).raw, 400, 'invalid_input');
  });
});

describe('account administration', () => {
  it('everyone signed in can list accounts; nobody sees a hash', async () => {
    const v = await login('viewer@x.io');
    const r = await api('GET', '/v1/accounts', v);
    expect(r.status).toBe(200);
    expect(r.body.items.map((a: { email: string }) => a.email)).toEqual(expect.arrayContaining(['owner@x.io', 'admin@x.io', 'member@x.io', 'viewer@x.io']));
    for (const a of r.body.items) expect(Object.keys(a).sort()).toEqual(['createdAt', 'disabled', 'email', 'id', 'lastLoginAt', 'name', 'role', 'updatedAt']);
    expect(r.raw.body).not.toMatch(/scrypt|password/i);
    expectError((await api('GET', '/v1/accounts', null)).raw, 401, 'unauthorized');
  });

  it('viewers and members are refused 403 on changes', async () => {
    const target = (await api('GET', '/v1/accounts', ADMIN)).body.items.find((a: { email: string }) => a.email === 'viewer@x.io');
    for (const who of ['viewer@x.io', 'member@x.io']) {
      const s = await login(who);
      expectError((await api('POST', '/v1/accounts', s, { email: 'new@x.io', name: 'N', role: 'viewer', password: 'password-123' })).raw, 403, 'forbidden');
      expectError((await api('PATCH', `/v1/accounts/${target.id}`, s, { name: 'X' })).raw, 403, 'forbidden');
      expectError((await api('DELETE', `/v1/accounts/${target.id}`, s)).raw, 403, 'forbidden');
    }
  });

  it('an admin manages non-owners but cannot create, change or delete owners or grant owner', async () => {
    const s = await login('admin@x.io');
    const owner = (await api('GET', '/v1/accounts', s)).body.items.find((a: { email: string }) => a.email === 'owner@x.io');
    expectError((await api('POST', '/v1/accounts', s, { email: 'o2@x.io', name: 'O2', role: 'owner', password: 'password-123' })).raw, 403, 'forbidden');
    expectError((await api('PATCH', `/v1/accounts/${owner.id}`, s, { role: 'member' })).raw, 403, 'forbidden');
    expectError((await api('DELETE', `/v1/accounts/${owner.id}`, s)).raw, 403, 'forbidden');
    const m = await api('POST', '/v1/accounts', s, { email: 'Made.By.Admin@x.io', name: 'M', role: 'member', password: 'password-123' });
    expect(m.status).toBe(201);
    expect(m.body.email).toBe('made.by.admin@x.io');
    expectError((await api('PATCH', `/v1/accounts/${m.body.id}`, s, { role: 'owner' })).raw, 403, 'forbidden');
    expect((await api('PATCH', `/v1/accounts/${m.body.id}`, s, { role: 'viewer', name: 'Viewer now' })).body).toMatchObject({ role: 'viewer', name: 'Viewer now' });
    expect((await api('GET', `/v1/accounts/${m.body.id}`, s)).body.role).toBe('viewer');
    expect((await api('DELETE', `/v1/accounts/${m.body.id}`, s)).status).toBe(204);
    expectError((await api('GET', `/v1/accounts/${m.body.id}`, s)).raw, 404, 'not_found');
  });

  it('409 for a taken email in any case, 400 naming bad fields', async () => {
    expectError((await api('POST', '/v1/accounts', ADMIN, { email: 'MEMBER@x.io', name: 'Dup', role: 'viewer', password: 'password-123' })).raw, 409, 'account_exists');
    const e = expectError((await api('POST', '/v1/accounts', ADMIN, { email: 'x@x.io', name: 'X', role: 'viewer', password: 'short' })).raw, 400, 'invalid_input');
    expect(e.details).toEqual([expect.objectContaining({ field: 'password' })]);
    const p = expectError((await api('PATCH', '/v1/accounts/whatever', ADMIN, { role: 'king' })).raw, 400, 'invalid_input');
    expect(JSON.stringify(p.details)).toContain('role');
  });

  it('the last enabled owner cannot be demoted, disabled or deleted (409 last_owner)', async () => {
    const owner = (await api('GET', '/v1/accounts', ADMIN)).body.items.find((a: { email: string }) => a.email === 'owner@x.io');
    const s = await login('owner@x.io');
    expectError((await api('PATCH', `/v1/accounts/${owner.id}`, s, { role: 'admin' })).raw, 409, 'last_owner');
    expectError((await api('PATCH', `/v1/accounts/${owner.id}`, s, { disabled: true })).raw, 409, 'last_owner');
    expectError((await api('DELETE', `/v1/accounts/${owner.id}`, ADMIN)).raw, 409, 'last_owner');
    expect((await api('GET', `/v1/accounts/${owner.id}`, s)).body).toMatchObject({ role: 'owner', disabled: false });
  });

  it('deleting an account removes its collaborations', async () => {
    const acc = await makeAccount('collab@x.io', 'member');
    const cohort = await api('POST', '/v1/cohorts', ADMIN, { name: 'Shared list', kind: 'static' });
    expect(cohort.status, JSON.stringify(cohort.body)).toBe(201);
    expect((await api('PUT', `/v1/cohorts/${cohort.body.id}/collaborators/${acc.id}`, ADMIN, { role: 'editor' })).status).toBe(200);
    expect((await api('GET', `/v1/cohorts/${cohort.body.id}/collaborators`, ADMIN)).body).toHaveLength(1);
    expect((await api('DELETE', `/v1/accounts/${acc.id}`, ADMIN)).status).toBe(204);
    expect((await api('GET', `/v1/cohorts/${cohort.body.id}/collaborators`, ADMIN)).body).toEqual([]);
  });
});

describe('across a restart', () => {
  it('accounts, sessions and tokens are kept in the data file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kohort-accounts-'));
    const open = () => createKohort({ dbPath: join(dir, 'k.duckdb'), adminToken: ADMIN, writeKey: 'w', background: false, schedulers: false, passwordCost: FAST });
    try {
      const first = await open();
      const inject = (k2: Kohort, method: 'GET' | 'POST', url: string, token: string | null, payload?: unknown) =>
        k2.app.inject({ method, url, payload: payload as never, headers: token ? { authorization: `Bearer ${token}` } : {} });
      expect((await inject(first, 'POST', '/v1/accounts', ADMIN, { email: 'keep@x.io', name: 'Keep', role: 'admin', password: 'password-123' })).statusCode).toBe(201);
      const session = (await inject(first, 'POST', '/v1/auth/login', null, { email: 'keep@x.io', password: 'password-123' })).json().token;
      const token = (await inject(first, 'POST', '/v1/me/tokens', session, { name: 'kept' })).json().token;
      await first.close();
      const second = await open();
      try {
        expect((await inject(second, 'GET', '/v1/me', session)).json()).toMatchObject({ account: { email: 'keep@x.io' }, via: 'session' });
        expect((await inject(second, 'GET', '/v1/me', token)).json()).toMatchObject({ account: { email: 'keep@x.io' }, via: 'api_token' });
        expect((await inject(second, 'GET', '/v1/audit?action=token.created', ADMIN)).json().items).toHaveLength(1);
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
