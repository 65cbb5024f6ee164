import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKohort, type Kohort } from '../main.js';

let k: Kohort;
let doc: any;
beforeAll(async () => {
  k = await createKohort({ dbPath: ':memory:', adminToken: 'kha_openapi_test', writeKey: 'khw_openapi_test', background: false, schedulers: false, exportWorker: false });
  const r = await k.app.inject('/openapi.json');
  expect(r.statusCode).toBe(200);
  doc = r.json();
});
afterAll(() => k.close());

/** "METHOD /path" of every API route, read from Fastify's route tree (as the role matrix does). */
function apiRoutes(): string[] {
  const out: string[] = [];
  const parents: string[] = [];
  for (const line of k.app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^([│ ]*)[├└]── (.+?) \(([A-Z, ]+)\)$/.exec(line);
    if (!m) continue;
    const depth = m[1].length / 4;
    const path = (depth ? parents[depth - 1] : '') + m[2];
    parents[depth] = path;
    if (!/^\/(v1|2|api|batch|identify|healthz)(\/|$)/.test(path)) continue;
    for (const method of m[3].split(', ')) if (method !== 'HEAD') out.push(`${method} ${path}`);
  }
  return out;
}

describe('GET /openapi.json', () => {
  it('is OpenAPI 3.1 listing every API route with its auth, and nothing of the web app', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info).toMatchObject({ title: 'Kohort API', version: expect.any(String) });
    const routes = apiRoutes();
    expect(routes.length).toBeGreaterThan(40);
    for (const r of routes) {
      const [method, path] = r.split(' ');
      const op = doc.paths[path.replace(/:(\w+)/g, '{$1}')]?.[method.toLowerCase()];
      expect(op, `${r} missing`).toBeDefined();
      expect(Array.isArray(op.security), `${r} has no security`).toBe(true);
      expect(op.tags?.length, `${r} has no tag`).toBeGreaterThan(0);
    }
    expect(Object.keys(doc.paths).every((p) => /^\/(v1|2|api|batch|identify|healthz)(\/|$)/.test(p))).toBe(true);
  });

  it('says which credential each kind of route takes', () => {
    const schemes = (path: string, method = 'get') => (doc.paths[path][method].security as Record<string, string[]>[]).flatMap(Object.keys);
    expect(schemes('/healthz')).toEqual([]);
    expect(schemes('/v1/auth/login', 'post')).toEqual([]);
    expect(schemes('/v1/track', 'post')).toEqual(['writeKeyBasic', 'writeKeyBearer', 'writeKeyInBody']);
    expect(schemes('/2/httpapi', 'post')).toContain('writeKeyInBody');
    expect(schemes('/v1/cohorts')).toEqual(['adminToken']);
    expect(schemes('/api/3/cohorts')).toEqual(['adminToken', 'tokenBasic']);
    for (const s of ['adminToken', 'tokenBasic', 'writeKeyBasic', 'writeKeyBearer', 'writeKeyInBody']) expect(doc.components.securitySchemes[s]).toBeDefined();
  });

  it('documents parameters and responses from the route schemas', () => {
    const op = doc.paths['/api/5/cohorts/request/{id}'].get;
    const props = op.parameters.find((p: { name: string }) => p.name === 'props');
    expect(props).toMatchObject({ in: 'query', schema: { enum: ['0', '1'] } });
    expect(op.parameters.find((p: { name: string }) => p.name === 'id')).toMatchObject({ in: 'path', required: true });
    expect(op.responses['202'].content['application/json'].schema.properties).toHaveProperty('request_id');
    expect(op.responses['404'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/Error' });
    expect(doc.components.schemas.Error.properties.error.properties).toHaveProperty('code');
  });
});

describe('GET /docs', () => {
  it('renders the document with scripts loaded from files (no inline script), each of which is served', async () => {
    const page = await k.app.inject('/docs');
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    const scripts = [...page.body.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attrs, inline] of scripts) {
      expect(attrs).toMatch(/src="[^"]+"/);
      expect(inline.trim()).toBe('');
    }
    const assets = [...page.body.matchAll(/(?:src|href)="(\/[^"]+)"/g)].map((m) => m[1]);
    expect(assets).toEqual(expect.arrayContaining(['/docs/swagger-ui-bundle.js', '/docs/docs.js', '/docs/swagger-ui.css']));
    for (const url of assets) {
      const r = await k.app.inject(url);
      expect(r.statusCode, url).toBe(200);
      expect(r.headers['content-type'], url).toMatch(url.endsWith('.css') ? /text\/css/ : /javascript/);
      expect(r.body.length, url).toBeGreaterThan(10);
    }
    expect((await k.app.inject('/docs/docs.js')).body).toContain("'/openapi.json'");
  });
});
