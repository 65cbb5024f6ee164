import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError } from '../../test/support/test-app.js';
import { createKohort, type Kohort } from '../main.js';
import { rawDuckDBFile } from '../storage/duckdb/test-support/raw-duckdb.js';
import { tokenHash } from '../services/accounts/credentials.js';
import { csrfTokenFor } from './session-cookies.js';

const ADMIN = 'kha_browser_session_test';
const FAST = { N: 1024, r: 8, p: 1 };
const PASSWORD = 'password-123';
let k: Kohort;

type Headers = Record<string, string>;
const inject = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, headers: Headers = {}, payload?: unknown) =>
  k.app.inject({ method, url, headers, payload: payload as never });

/** The Set-Cookie lines of a response, by cookie name. */
function setCookies(res: { headers: Record<string, unknown> }): Map<string, string> {
  const raw = res.headers['set-cookie'];
  const lines = Array.isArray(raw) ? raw : raw ? [String(raw)] : [];
  return new Map(lines.map((l: string) => [l.slice(0, l.indexOf('=')), l]));
}
const valueOf = (line: string) => decodeURIComponent(line.slice(line.indexOf('=') + 1).split(';')[0]!);

/** Signs a browser in; returns the cookies it would send and the CSRF proof its script reads. */
async function browserSignIn(body: unknown, extra: Headers = {}) {
  const res = await inject('POST', '/v1/auth/session', { 'content-type': 'application/json', 'x-kohort-csrf': '1', ...extra }, body);
  expect(res.statusCode, res.body).toBe(200);
  const jar = setCookies(res);
  const session = valueOf(jar.get('kohort_session')!);
  const csrf = valueOf(jar.get('kohort_csrf')!);
  return { res, jar, session, csrf, cookie: `kohort_session=${session}; kohort_csrf=${csrf}` };
}

beforeAll(async () => {
  k = await createKohort({ dbPath: ':memory:', adminToken: ADMIN, writeKey: 'khw_browser_session', background: false, schedulers: false, passwordCost: FAST });
  const made = await inject('POST', '/v1/accounts', { authorization: `Bearer ${ADMIN}` }, { email: 'mia@x.io', name: 'Mia', role: 'member', password: PASSWORD });
  expect(made.statusCode).toBe(201);
});
afterAll(() => k.close());

describe('browser sign-in sets an HttpOnly session cookie', () => {
  it('password sign-in: HttpOnly, SameSite=Strict, Path=/, not Secure over plain http; no token in the body', async () => {
    const { res, jar, session, csrf } = await browserSignIn({ email: 'mia@x.io', password: PASSWORD });
    const line = jar.get('kohort_session')!;
    expect(line).toMatch(/; HttpOnly/);
    expect(line).toMatch(/; SameSite=Strict/);
    expect(line).toMatch(/; Path=\//);
    expect(line).toMatch(/; Expires=/);
    expect(line).not.toMatch(/; Secure/);
    expect(session).toMatch(/^kse_[A-Za-z0-9_-]{43}$/);
    // The CSRF cookie is for the app's script: readable, same scope, bound to the session.
    expect(jar.get('kohort_csrf')).not.toMatch(/HttpOnly/);
    expect(jar.get('kohort_csrf')).toMatch(/; SameSite=Strict/);
    expect(csrf).toBe(csrfTokenFor(session));
    expect(res.json()).toEqual({ via: 'session', role: 'member', account: expect.objectContaining({ email: 'mia@x.io' }), expiresAt: expect.any(String) });
    expect(res.body).not.toContain(session);
  });

  it('behind an https proxy (X-Forwarded-Proto: https) the cookies are Secure', async () => {
    const { jar } = await browserSignIn({ email: 'mia@x.io', password: PASSWORD }, { 'x-forwarded-proto': 'https' });
    expect(jar.get('kohort_session')).toMatch(/; Secure/);
    expect(jar.get('kohort_csrf')).toMatch(/; Secure/);
  });

  it('admin-token sign-in mints a session stored hashed: the cookie never holds the admin token', async () => {
    const { session, cookie, res } = await browserSignIn({ adminToken: ADMIN });
    expect(session).not.toBe(ADMIN);
    expect(session).toMatch(/^kse_/);
    expect(res.body).not.toContain(ADMIN);
    expect(res.json()).toMatchObject({ via: 'admin_token', role: 'owner', account: null });
    const rows = await rawDuckDBFile(k).writer.rows<{ token_hash: string }>('SELECT token_hash FROM sessions');
    expect(rows.map((r) => r.token_hash)).toContain(tokenHash(session));
    expect(JSON.stringify(rows)).not.toContain(session);
    const me = await inject('GET', '/v1/me', { cookie });
    expect(me.json()).toEqual({ account: null, role: 'owner', via: 'admin_token' });
  });

  it('refuses a wrong admin token or password with 401, and a sign-in without the CSRF header with 403', async () => {
    expectError(await inject('POST', '/v1/auth/session', { 'content-type': 'application/json', 'x-kohort-csrf': '1' }, { adminToken: 'kha_wrong' }), 401, 'invalid_credentials');
    expectError(await inject('POST', '/v1/auth/session', { 'content-type': 'application/json', 'x-kohort-csrf': '1' }, { email: 'mia@x.io', password: 'nope-nope-1' }), 401, 'invalid_credentials');
    // A form on another site (text/plain, no custom header) cannot sign a browser in.
    const forged = await inject('POST', '/v1/auth/session', { 'content-type': 'text/plain' }, JSON.stringify({ adminToken: ADMIN }));
    expectError(forged, 403, 'csrf_failed');
    expect(forged.headers['set-cookie']).toBeUndefined();
    expectError(await inject('POST', '/v1/auth/session', { 'content-type': 'application/json', 'x-kohort-csrf': '1' }, { adminToken: ADMIN, extra: 1 }), 400, 'invalid_input');
  });
});

describe('cookie authentication and CSRF', () => {
  it('authenticates reads by the cookie alone', async () => {
    const { cookie } = await browserSignIn({ email: 'mia@x.io', password: PASSWORD });
    const me = await inject('GET', '/v1/me', { cookie });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({ role: 'member', via: 'session', account: { email: 'mia@x.io' } });
    expect((await inject('GET', '/v1/cohorts', { cookie })).statusCode).toBe(200);
  });

  it('refuses a cross-site change (cookie without the CSRF proof, or with a wrong one) with 403 in the error shape', async () => {
    const { cookie, csrf } = await browserSignIn({ email: 'mia@x.io', password: PASSWORD });
    const body = { name: 'forged', definition: { match: 'all', rules: [{ type: 'event', event: 'view' }] } };
    const json = { 'content-type': 'application/json', cookie };
    const missing = expectError(await inject('POST', '/v1/cohorts', json, body), 403, 'csrf_failed');
    expect(missing.message).toContain('x-kohort-csrf');
    expectError(await inject('POST', '/v1/cohorts', { ...json, 'x-kohort-csrf': 'x'.repeat(csrf.length) }, body), 403, 'csrf_failed');
    // Another session's proof does not fit this one.
    const other = await browserSignIn({ email: 'mia@x.io', password: PASSWORD });
    expectError(await inject('POST', '/v1/cohorts', { ...json, 'x-kohort-csrf': other.csrf }, body), 403, 'csrf_failed');
    expectError(await inject('PATCH', '/v1/me', { ...json }, { name: 'Forged' }), 403, 'csrf_failed');
    expect((await inject('GET', '/v1/me', { cookie })).json().account.name).toBe('Mia');
    // Nothing was created.
    const list = await inject('GET', '/v1/cohorts', { cookie });
    expect(JSON.stringify(list.json())).not.toContain('forged');

    const made = await inject('POST', '/v1/cohorts', { ...json, 'x-kohort-csrf': csrf }, body);
    expect(made.statusCode, made.body).toBe(201);
  });

  it('Bearer requests need no CSRF proof (API clients are unchanged)', async () => {
    const login = await inject('POST', '/v1/auth/login', { 'content-type': 'application/json' }, { email: 'mia@x.io', password: PASSWORD });
    const token = login.json().token as string;
    const r = await inject('PATCH', '/v1/me', { 'content-type': 'application/json', authorization: `Bearer ${token}` }, { name: 'Mia' });
    expect(r.statusCode).toBe(200);
    // A bad Authorization header never falls back to the cookie.
    const { cookie } = await browserSignIn({ email: 'mia@x.io', password: PASSWORD });
    expectError(await inject('GET', '/v1/me', { cookie, authorization: 'Bearer kse_wrong' }), 401, 'unauthorized');
  });

  it('sign-out revokes the session on the server and clears both cookies', async () => {
    const { cookie, csrf, session } = await browserSignIn({ email: 'mia@x.io', password: PASSWORD });
    expectError(await inject('POST', '/v1/auth/logout', { cookie }), 403, 'csrf_failed');
    const out = await inject('POST', '/v1/auth/logout', { cookie, 'x-kohort-csrf': csrf });
    expect(out.statusCode).toBe(204);
    const jar = setCookies(out);
    for (const name of ['kohort_session', 'kohort_csrf']) {
      expect(valueOf(jar.get(name)!)).toBe('');
      expect(jar.get(name)).toMatch(/Expires=Thu, 01 Jan 1970/);
    }
    // The old cookie (kept by a stolen copy or another tab) no longer works.
    expectError(await inject('GET', '/v1/me', { cookie }), 401, 'unauthorized');
    expectError(await inject('GET', '/v1/me', { authorization: `Bearer ${session}` }), 401, 'unauthorized');
  });

  it('an admin-token browser session signs out too', async () => {
    const { cookie, csrf } = await browserSignIn({ adminToken: ADMIN });
    expect((await inject('POST', '/v1/auth/logout', { cookie, 'x-kohort-csrf': csrf })).statusCode).toBe(204);
    expectError(await inject('GET', '/v1/me', { cookie }), 401, 'unauthorized');
  });
});

describe('the event stream', () => {
  it('authenticates by the session cookie; a token in the URL is refused', async () => {
    await k.app.listen({ port: 0, host: '127.0.0.1' });
    const addr = k.app.server.address();
    const base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    const { cookie } = await browserSignIn({ email: 'mia@x.io', password: PASSWORD });
    const abort = new AbortController();
    try {
      const res = await fetch(`${base}/v1/events/stream`, { headers: { cookie }, signal: abort.signal });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
      const first = await res.body!.getReader().read();
      expect(new TextDecoder().decode(first.value)).toContain(': connected');
    } finally {
      abort.abort();
    }
    const byUrl = await fetch(`${base}/v1/events/stream?token=${encodeURIComponent(ADMIN)}`);
    expect(byUrl.status).toBe(401);
    expect(await byUrl.json()).toEqual({ error: { code: 'unauthorized', message: expect.any(String) } });
  });
});
