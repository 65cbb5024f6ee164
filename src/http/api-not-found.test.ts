import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError } from '../../test/support/test-app.js';
import { registerErrorHandling } from './errors.js';
import { registerWebApp } from './web-static.js';

// api.md: every path under /v1, /2, /api, /batch, /identify that no route serves is a JSON 404.
describe('unknown API paths', () => {
  const app = Fastify();
  beforeAll(async () => {
    const dist = mkdtempSync(path.join(tmpdir(), 'kohort-web-'));
    writeFileSync(path.join(dist, 'index.html'), '<!doctype html><div id="root"></div>');
    registerErrorHandling(app);
    // Routes other modules own under the same prefixes keep working.
    app.post('/batch', async () => ({ code: 200 }));
    app.post('/identify', async () => ({ code: 200 }));
    app.get('/api/3/cohorts', async () => ({ cohorts: [] }));
    await registerWebApp(app, { distDir: dist });
    await app.ready();
  });
  afterAll(() => app.close());

  const unknown: [string, string][] = [
    ['GET', '/v1'], ['GET', '/v1/nope'], ['GET', '/2/nope/deeper?x=1'], ['GET', '/api'], ['GET', '/api/3/nope'],
    ['GET', '/api/5/cohorts/request/x/unknown'], ['GET', '/batch'], ['GET', '/batch/x'], ['GET', '/identify'],
    ['GET', '/identify/x'], ['HEAD', '/api/2/whatever'], ['POST', '/api/3/cohorts'], ['DELETE', '/v1/nope'], ['PUT', '/batch'],
  ];
  it.each(unknown)('%s %s is a JSON not_found, never the web app', async (method, url) => {
    const res = await app.inject({ method: method as 'GET', url });
    expect(res.headers['content-type']).toContain('application/json');
    if (method !== 'HEAD') expectError(res, 404, 'not_found');
    else expect(res.statusCode).toBe(404);
    expect(res.body).not.toContain('<div id="root">');
  });

  it('routes that exist under those prefixes answer as usual', async () => {
    expect((await app.inject({ method: 'POST', url: '/batch' })).json()).toEqual({ code: 200 });
    expect((await app.inject({ method: 'POST', url: '/identify' })).json()).toEqual({ code: 200 });
    expect((await app.inject('/api/3/cohorts')).json()).toEqual({ cohorts: [] });
  });

  it('look-alike app paths still get the web app', async () => {
    for (const url of ['/apiary', '/batches', '/identify-me', '/cohorts']) {
      const res = await app.inject(url);
      expect(res.statusCode, url).toBe(200);
      expect(res.body).toContain('<div id="root">');
    }
  });
});
