import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKohort, type Kohort } from '../../src/main.js';
import { hasChromium, launchBrowser, type BrowserSession } from './browser.js';

/**
 * GET /docs renders /openapi.json in a real browser under a strict
 * Content-Security-Policy (no inline script, no inline style elements): the
 * page must not depend on anything the policy refuses.
 */
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'";

describe.skipIf(!hasChromium)('API docs page', () => {
  let k: Kohort;
  let base: string;
  let browser: BrowserSession;
  beforeAll(async () => {
    k = await createKohort({ dbPath: ':memory:', adminToken: 'kha_api_docs_e2e', writeKey: 'khw_api_docs_e2e', background: false, schedulers: false });
    k.app.addHook('onSend', async (_req, reply) => {
      reply.header('content-security-policy', CSP);
    });
    await k.app.listen({ host: '127.0.0.1', port: 0 });
    const addr = k.app.server.address();
    base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await k?.close();
  });

  it('lists the routes, with no CSP violation', async () => {
    const page = await browser.newPage();
    const refused: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) refused.push(m.text());
    });
    await page.goto(`${base}/docs`);
    await expect.poll(() => page.locator('.opblock-summary-path').count(), { timeout: 20_000 }).toBeGreaterThan(40);
    const paths = await page.locator('.opblock-summary-path').allInnerTexts();
    expect(paths.map((p) => p.replace(/\u200b/g, '').trim())).toEqual(expect.arrayContaining(['/api/3/cohorts', '/v1/cohorts', '/v1/track']));
    await expect.poll(() => page.locator('.info .title').innerText()).toContain('Kohort API');
    expect(refused).toEqual([]);
  });
});
