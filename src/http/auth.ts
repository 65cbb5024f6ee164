import { timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { BOOTSTRAP_PRINCIPAL, type Principal } from '../schemas/principal.js';
import { unauthorized } from '../services/errors.js';

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
  /** Pre-handler for management routes: sets `req.principal` or answers 401. */
  management(opts?: { allowQueryToken?: boolean; allowBasic?: boolean }): (req: FastifyRequest) => Promise<void>;
  /** Lets the accounts service plug in (created after the app's dependencies). */
  setResolver(resolve: TokenResolver): void;
}

/**
 * Bearer credential for management routes: the bootstrap admin token, or a
 * session / personal token the resolver knows. `?token=` is accepted only where
 * a browser cannot send headers (EventSource), and is redacted from logs.
 */
export function createAuthenticator(adminToken: string, resolve?: TokenResolver): Authenticator {
  let resolver = resolve;
  return {
    setResolver(r) {
      resolver = r;
    },
    management(opts = {}) {
      return async (req) => {
        let given = bearer(req);
        // Amplitude's cohort API sends Basic base64(token + ":"); the password part is ignored.
        if (!given && opts.allowBasic) given = basicUser(req);
        if (!given && opts.allowQueryToken) {
          const t = (req.query as { token?: unknown } | undefined)?.token;
          if (typeof t === 'string') given = t;
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
