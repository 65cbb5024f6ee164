import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * Browser sessions (docs/SECURITY.md, "Browser sessions"): the web app never
 * holds a credential. Sign-in sets two cookies:
 * - `kohort_session`: the session token, HttpOnly (no script can read it),
 *   SameSite=Strict (never sent by requests other sites start);
 * - `kohort_csrf`: a value derived from the session token, readable by the
 *   app's own script (not HttpOnly), which sends it back as the
 *   `X-Kohort-CSRF` header on every state-changing request. Another site can
 *   neither read the cookie nor set that header without a CORS preflight
 *   Kohort never grants, so a forged request fails (signed double submit,
 *   bound to the session: a value from another session does not fit).
 */
export const SESSION_COOKIE = 'kohort_session';
export const CSRF_COOKIE = 'kohort_csrf';
export const CSRF_HEADER = 'x-kohort-csrf';

/** The CSRF proof of a session token: one-way, so it gives nothing about the token away. */
export const csrfTokenFor = (sessionToken: string): string =>
  createHash('sha256').update(`kohort-csrf:${sessionToken}`).digest('base64url');

export function csrfMatches(sessionToken: string, given: string | undefined): boolean {
  if (!given) return false;
  const want = Buffer.from(csrfTokenFor(sessionToken));
  const got = Buffer.from(given);
  return want.length === got.length && timingSafeEqual(want, got);
}

/** Methods that change nothing (RFC 9110 "safe"): no CSRF proof needed. */
export const isSafeMethod = (method: string): boolean => method === 'GET' || method === 'HEAD' || method === 'OPTIONS';

/**
 * Secure when the browser reached us over https: directly, or through a proxy
 * that says so in `X-Forwarded-Proto`. Trusting that header here is safe: it can
 * only add the Secure flag (a client lying about it only hides the cookie from
 * itself over plain http).
 */
export function cameOverHttps(req: FastifyRequest): boolean {
  if (req.protocol === 'https') return true;
  const fwd = req.headers['x-forwarded-proto'];
  const first = (Array.isArray(fwd) ? fwd[0] : fwd)?.split(',')[0]?.trim().toLowerCase();
  return first === 'https';
}

/** Sets both cookies for a new session; they last as long as the session may. */
export function setSessionCookies(req: FastifyRequest, reply: FastifyReply, token: string, expiresAt: Date): void {
  const secure = cameOverHttps(req);
  const common = { path: '/', sameSite: 'strict' as const, secure, expires: expiresAt };
  reply.setCookie(SESSION_COOKIE, token, { ...common, httpOnly: true });
  reply.setCookie(CSRF_COOKIE, csrfTokenFor(token), { ...common, httpOnly: false });
}

export function clearSessionCookies(req: FastifyRequest, reply: FastifyReply): void {
  const secure = cameOverHttps(req);
  reply.clearCookie(SESSION_COOKIE, { path: '/', sameSite: 'strict', secure, httpOnly: true });
  reply.clearCookie(CSRF_COOKIE, { path: '/', sameSite: 'strict', secure });
}
