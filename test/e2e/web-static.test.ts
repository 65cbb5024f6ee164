import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { registerWebApp } from '../../src/http/web-static.js';

function fakeBuild(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'kohort-web-'));
  mkdirSync(path.join(dir, 'assets'));
  writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>Kohort</title><div id="root"></div>');
  writeFileSync(path.join(dir, 'assets', 'app-abc123.js'), 'console.log(1)');
  return dir;
}

async function appWith(distDir: string) {
  const app = Fastify();
  app.get('/v1/cohorts', async () => ({ items: [] }));
  app.get('/healthz', async () => ({ ok: true }));
  await registerWebApp(app, { distDir });
  await app.ready();
  return app;
}

describe('registerWebApp', () => {
  it('serves files, falls back to index.html for app routes, never for API paths', async () => {
    const app = await appWith(fakeBuild());
    const asset = await app.inject('/assets/app-abc123.js');
    expect(asset.statusCode).toBe(200);
    expect(asset.body).toBe('console.log(1)');
    expect(asset.headers['cache-control']).toContain('immutable');

    for (const url of ['/', '/cohorts', '/cohorts/42/edit?x=1']) {
      const page = await app.inject(url);
      expect(page.statusCode, url).toBe(200);
      expect(page.headers['content-type']).toContain('text/html');
      expect(page.body).toContain('<div id="root">');
    }

    expect((await app.inject('/v1/cohorts')).json()).toEqual({ items: [] });
    for (const url of ['/v1/nope', '/2/nope', '/healthz/x']) {
      const res = await app.inject(url);
      expect(res.statusCode, url).toBe(404);
      expect(res.body).not.toContain('<div id="root">');
    }
    expect((await app.inject({ method: 'POST', url: '/cohorts' })).statusCode).toBe(404);
    await app.close();
  });

  it('answers 503 with an explanation when the build is missing', async () => {
    const app = await appWith(path.join(tmpdir(), 'kohort-no-such-build-dir'));
    const res = await app.inject('/cohorts');
    expect(res.statusCode).toBe(503);
    expect(res.body).toContain('not built');
    expect((await app.inject('/v1/cohorts')).statusCode).toBe(200);
    expect((await app.inject('/v1/nope')).statusCode).toBe(404);
    await app.close();
  });
});
