import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError, NetworkError } from '../api/errors';
import { login, loginWithAdminToken, LoginThrottled, waitText } from './login';

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

describe('sign-in with email and password', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('posts the credentials for a cookie session, with the CSRF header and without any bearer', async () => {
    const fetch = vi.fn(async () => json(200, { via: 'session', role: 'member', expiresAt: '2026-12-24T00:00:00.000Z', account: { id: 'a1' } }));
    vi.stubGlobal('fetch', fetch);
    const r = await login('ann@example.com', 'correct horse');
    expect(r).toMatchObject({ via: 'session', account: { id: 'a1' } });
    const [url, init] = fetch.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe('/v1/auth/session');
    expect(JSON.parse(init.body as string)).toEqual({ email: 'ann@example.com', password: 'correct horse' });
    expect(new Headers(init.headers).has('authorization')).toBe(false);
    expect(new Headers(init.headers).get('x-kohort-csrf')).toBeTruthy();
    expect(init.credentials).toBe('same-origin');
  });

  it('signs in with the admin token through the same route, sending the token only in the body', async () => {
    const fetch = vi.fn(async () => json(200, { via: 'admin_token', role: 'owner', expiresAt: '2026-12-24T00:00:00.000Z', account: null }));
    vi.stubGlobal('fetch', fetch);
    expect((await loginWithAdminToken('kha_secret')).via).toBe('admin_token');
    const [url, init] = fetch.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe('/v1/auth/session');
    expect(JSON.parse(init.body as string)).toEqual({ adminToken: 'kha_secret' });
    expect(new Headers(init.headers).has('authorization')).toBe(false);
  });

  it('turns a 401 into an ApiError and a 429 into LoginThrottled with the wait', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => json(401, { error: { code: 'invalid_credentials', message: 'Wrong email or password' } })));
    await expect(login('a@b.io', 'x')).rejects.toMatchObject({ status: 401, code: 'invalid_credentials' });
    await expect(login('a@b.io', 'x')).rejects.toBeInstanceOf(ApiError);

    vi.stubGlobal('fetch', vi.fn(async () =>
      json(429, { error: { code: 'too_many_attempts', message: 'Too many failed attempts', details: { retryAfterSeconds: 754 } } })));
    const err = await login('a@b.io', 'x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LoginThrottled);
    expect((err as LoginThrottled).retryAfterSeconds).toBe(754);

    // A Retry-After header wins over the body.
    vi.stubGlobal('fetch', vi.fn(async () => json(429, { error: { code: 'too_many_attempts', message: 'wait' } }, { 'retry-after': '30' })));
    expect(((await login('a@b.io', 'x').catch((e: unknown) => e)) as LoginThrottled).retryAfterSeconds).toBe(30);
  });

  it('reports an unreachable server as a NetworkError', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => { throw new TypeError('Failed to fetch'); }));
    await expect(login('a@b.io', 'x')).rejects.toBeInstanceOf(NetworkError);
  });

  it('words the wait rounded up', () => {
    expect(waitText(1)).toBe('in 1 second');
    expect(waitText(0.2)).toBe('in 1 second');
    expect(waitText(45)).toBe('in 45 seconds');
    expect(waitText(754)).toBe('in 13 minutes');
  });
});
