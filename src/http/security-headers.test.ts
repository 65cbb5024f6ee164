import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createKohort, type Kohort } from '../main.js';

/** api.md, Security rules: CSP without inline script, nosniff, frame-ancestors 'none'. */
let k: Kohort;
beforeAll(async () => {
  k = await createKohort({ dbPath: ':memory:', adminToken: 'kha_headers_test', writeKey: 'khw_headers_test', background: false, schedulers: false });
});
afterAll(() => k?.close());

it.each(['/', '/cohorts', '/healthz', '/v1/cohorts', '/v1/nope'])('%s carries the security headers', async (url) => {
  const r = await k.app.inject({ url, headers: { authorization: 'Bearer kha_headers_test' } });
  expect(r.headers['x-content-type-options']).toBe('nosniff');
  const csp = String(r.headers['content-security-policy']);
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).toMatch(/script-src 'self'(;|$)/);
  expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
  expect(r.headers['x-frame-options']).toBe('DENY');
});

it('the built app has no inline script, so the policy does not block it', () => {
  const dist = path.resolve(import.meta.dirname, '../../dist/web/index.html');
  let html: string;
  try {
    html = readFileSync(dist, 'utf8');
  } catch {
    return; // not built in this checkout; the browser e2e tests cover it
  }
  const inline = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)].filter(([, attrs, body]) => !/\bsrc=/.test(attrs) || body.trim() !== '');
  expect(inline).toEqual([]);
});
