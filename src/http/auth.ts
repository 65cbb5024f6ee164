import { timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { unauthorized } from '../services/errors.js';

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function bearer(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  return h?.startsWith('Bearer ') ? h.slice(7).trim() : undefined;
}

/**
 * Write key, in any of the contract's three forms: Basic base64(key + ":")
 * (Segment), Bearer key, or `api_key` in the body (Amplitude).
 */
export function requireWriteKey(req: FastifyRequest, writeKey: string): void {
  const h = req.headers.authorization;
  let given: string | undefined;
  if (h?.startsWith('Basic ')) {
    const decoded = Buffer.from(h.slice(6).trim(), 'base64').toString('utf8');
    given = decoded.includes(':') ? decoded.slice(0, decoded.indexOf(':')) : decoded;
  } else if (h?.startsWith('Bearer ')) {
    given = bearer(req);
  } else if (req.body && typeof req.body === 'object' && typeof (req.body as { api_key?: unknown }).api_key === 'string') {
    given = (req.body as { api_key: string }).api_key;
  }
  if (!given) throw unauthorized('Send the write key: Authorization: Basic base64(writeKey + ":"), Bearer writeKey, or api_key in the body');
  if (!same(given, writeKey)) throw unauthorized('The write key is not valid');
}

/**
 * Admin token as a Bearer header; `?token=` is accepted only where a browser
 * cannot send headers (EventSource), and is redacted from logs.
 */
export function requireAdmin(req: FastifyRequest, adminToken: string, allowQueryToken = false): void {
  let given = bearer(req);
  if (!given && allowQueryToken) {
    const t = (req.query as { token?: unknown } | undefined)?.token;
    if (typeof t === 'string') given = t;
  }
  if (!given) throw unauthorized('Send the admin token: Authorization: Bearer <token>');
  if (!same(given, adminToken)) throw unauthorized('The admin token is not valid');
}
