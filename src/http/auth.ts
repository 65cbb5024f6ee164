import { timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { BOOTSTRAP_PRINCIPAL, type Principal } from '../schemas/principal.js';
import { ServiceError, unauthorized } from '../services/errors.js';
import { CSRF_HEADER, csrfMatches, isSafeMethod, SESSION_COOKIE } from './session-cookies.js';

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The token of an `Authorization: Bearer` header, if any. */
export function bearer(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  return h?.startsWith('Bearer ') ? h.slice(7).trim() : undefined;
}

/** The user part of an `Authorization: Basic` header (base64 of "user:password"), if any. */
export function basicUser(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  if (!h?.startsWith('Basic ')) return undefined;
  const decoded = Buffer.from(h.slice(6).trim(), 'base64').toString('utf8');
  return decoded.includes(':') ? decoded.slice(0, decoded.indexOf(':')) : decoded;
}

/**
 * Write key, in any of the contract's three forms: Basic base64(key + ":")
 * (Segment), Bearer key, or `api_key` in the body (Amplitude).
 */
export function requireWriteKey(req: FastifyRequest, writeKey: string): void {
  const status = writeKeyStatus(req, writeKey);
  if (status === 'missing') throw unauthorized('Send the write key: Authorization: Basic base64(writeKey + ":"), Bearer writeKey, or api_key in the body');
  if (status === 'invalid') throw unauthorized('The write key is not valid');
}

/** Whether the request presents the write key (in any of the three forms): the routes choose how to answer. */
export function writeKeyStatus(req: FastifyRequest, writeKey: string): 'ok' | 'missing' | 'invalid' {
  const h = req.headers.authorization;
  let given: string | undefined;
  if (h?.startsWith('Basic ')) {
    given = basicUser(req);
  } else if (h?.startsWith('Bearer ')) {
    given = bearer(req);
  } else if (req.body && typeof req.body === 'object' && typeof (req.body as { api_key?: unknown }).api_key === 'string') {
    given = (req.body as { api_key: string }).api_key;
  }
  if (!given) return 'missing';
  return same(given, writeKey) ? 'ok' : 'invalid';
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the management pre-handler: who is asking (docs/TEAMS.md). */
    principal: Principal;
  }
}

/** Session and personal API tokens (accounts service); null when unknown, expired or disabled. */
export type TokenResolver = (token: string) => Promise<Principal | null>;

export interface Authenticator {
  /** Pre-handler for management routes: sets `req.principal` or answers 401 (403 `csrf_failed`, see below). */
  management(opts?: { allowBasic?: boolean }): (req: FastifyRequest) => Promise<void>;
  /** Lets the accounts service plug in (created after the app's dependencies). */
  setResolver(resolve: TokenResolver): void;
  /** Whether `given` is the bootstrap admin token (browser sign-in with it). */
  isAdminToken(given: string): boolean;
}

/** The session cookie of a browser request, if any. */
export const sessionCookie = (req: FastifyRequest): string | undefined => req.cookies?.[SESSION_COOKIE] || undefined;

/** The credential this request was authenticated with: the bearer token, else the browser's session cookie. */
export function requestCredential(req: FastifyRequest): string | undefined {
  return bearer(req) ?? (req.headers.authorization ? undefined : sessionCookie(req));
}

const csrfFailed = () =>
  new ServiceError(403, 'csrf_failed', `A signed-in browser must send the ${CSRF_HEADER} header (the kohort_csrf cookie's value) with every change; this request did not`);

/**
 * Credential for management routes: an `Authorization` header (the bootstrap
 * admin token, or a session / personal token the resolver knows), else the
 * browser's session cookie. Cookie-authenticated requests that change
 * something must carry the CSRF proof (session-cookies.ts); header
 * credentials need none, since browsers never attach them on their own.
 */
export function createAuthenticator(adminToken: string, resolve?: TokenResolver): Authenticator {
  let resolver = resolve;
  return {
    setResolver(r) {
      resolver = r;
    },
    isAdminToken: (given) => same(given, adminToken),
    management(opts = {}) {
      return async (req) => {
        let given = bearer(req);
        // Amplitude's cohort API sends Basic base64(token + ":"); the password part is ignored.
        if (!given && opts.allowBasic) given = basicUser(req);
        const cookie = req.headers.authorization ? undefined : sessionCookie(req);
        if (!given && cookie) {
          if (!isSafeMethod(req.method)) {
            const proof = req.headers[CSRF_HEADER];
            if (!csrfMatches(cookie, Array.isArray(proof) ? proof[0] : proof)) throw csrfFailed();
          }
          // The cookie only ever holds a session (never the admin token itself).
          const p = resolver ? await resolver(cookie) : null;
          if (!p) throw unauthorized('The browser session has ended (signed out, expired or revoked); sign in again');
          req.principal = p;
          return;
        }
        if (!given) throw unauthorized('Send a token: Authorization: Bearer <admin token, session token or API token>');
        if (same(given, adminToken)) {
          req.principal = BOOTSTRAP_PRINCIPAL;
          return;
        }
        const p = resolver ? await resolver(given) : null;
        if (!p) throw unauthorized('The token is not valid (unknown, expired or revoked)');
        req.principal = p;
      };
    },
  };
}
