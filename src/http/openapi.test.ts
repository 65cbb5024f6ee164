import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { createKohort, type Kohort } from '../main.js';
import * as R from './openapi-responses.js';

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

describe('documented answers', () => {
  it('every API route has a summary, its auth and a success answer (with a body schema unless 204)', () => {
    const missing: string[] = [];
    for (const r of apiRoutes()) {
      const [method, path] = r.split(' ');
      const op = doc.paths[path.replace(/:(\w+)/g, '{$1}')]?.[method.toLowerCase()];
      if (!op?.summary) missing.push(`${r}: no summary`);
      if (!Array.isArray(op?.security)) missing.push(`${r}: no security`);
      const ok = Object.keys(op?.responses ?? {}).filter((status) => /^2\d\d$/.test(status));
      if (!ok.length) missing.push(`${r}: no 2xx response`);
      for (const status of ok) {
        if (status === '204') continue;
        const schema = op.responses[status].content?.['application/json']?.schema;
        if (!schema || !(schema.$ref || schema.type || schema.anyOf || schema.oneOf)) missing.push(`${r}: ${status} without a schema`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('names the shared shapes and documents the request bodies of the newer routes', () => {
    const json = (path: string, method: string, status: string) => doc.paths[path][method].responses[status].content['application/json'].schema;
    expect(json('/v1/cohorts/{id}', 'get', '200')).toEqual({ $ref: '#/components/schemas/Cohort' });
    expect(json('/v1/syncs/{id}/run', 'post', '202')).toEqual({ $ref: '#/components/schemas/SyncRun' });
    expect(json('/2/httpapi', 'post', '200')).toEqual({ $ref: '#/components/schemas/AmplitudeAnswer' });
    expect(json('/2/httpapi', 'post', '400')).toEqual({ $ref: '#/components/schemas/AmplitudeError' });
    expect(doc.components.schemas.AmplitudeAnswer.required).toEqual(expect.arrayContaining(['code', 'events_ingested', 'payload_size_bytes', 'server_upload_time']));
    expect(doc.components.schemas.Cohort.required).toEqual(expect.arrayContaining(['id', 'name', 'definition', 'calculation', 'size']));
    expect(json('/v1/cohorts/{id}/diff', 'post', '200').required).toEqual(expect.arrayContaining(['current', 'proposed', 'sampleAdded', 'syncs']));
    for (const [path, field] of [['/v1/analytics/funnel', 'steps'], ['/v1/analytics/retention', 'periods'], ['/v1/group', 'groupId'], ['/v1/cohorts/explain', 'userId'], ['/v1/cohorts/{id}/diff', 'definition']]) {
      expect(doc.paths[path].post.requestBody.content['application/json'].schema.properties, path).toHaveProperty(field);
    }
    expect(doc.paths['/v1/properties/values'].get.parameters.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(['property', 'event', 'q', 'limit']));
  });

  it('real answers match their documented schemas, field for field', async () => {
    const admin = { authorization: 'Bearer kha_openapi_test' };
    const call = async (method: 'GET' | 'POST', url: string, payload?: object, headers: Record<string, string> = admin) => {
      const r = await k.app.inject({ method, url, payload, headers });
      expect(r.statusCode, `${method} ${url}: ${r.body}`).toBeLessThan(300);
      return r.json();
    };
    /** Parses with the documented schema; z.object drops undocumented keys, so equality means nothing is left out. */
    const matches = (schema: z.ZodType, body: unknown) => {
      const parsed = schema.safeParse(body);
      expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
      expect(parsed.data).toEqual(body);
    };
    const writeKey = { authorization: `Basic ${Buffer.from('khw_openapi_test:').toString('base64')}` };
    matches(R.segmentAnswer, await call('POST', '/v1/track', { userId: 'ann', event: 'purchase', properties: { price: 300 } }, writeKey));
    matches(R.amplitudeAnswer, await call('POST', '/2/httpapi', { api_key: 'khw_openapi_test', events: [{ user_id: 'bob', event_type: 'view' }] }, {}));
    matches(R.healthz, await call('GET', '/healthz'));
    matches(R.me, await call('GET', '/v1/me'));
    matches(R.eventTypes, await call('GET', '/v1/event-types'));
    matches(R.liveEvents, await call('GET', '/v1/events/live'));
    const definition = { match: 'all', rules: [{ type: 'event', event: 'purchase', count: { op: 'gte', value: 1 } }] };
    const preview = await call('POST', '/v1/cohorts/preview', { definition });
    matches(R.preview, preview);
    expect(preview.sample).toEqual(['ann']);
    const created = await call('POST', '/v1/cohorts', { name: 'Buyers', definition });
    matches(R.cohortSchema, created);
    const cohort = await call('GET', `/v1/cohorts/${created.id}`);
    matches(R.cohortSchema, cohort);
    expect(cohort.size).toBe(1);
    matches(R.cohortPage, await call('GET', '/v1/cohorts'));
    matches(R.history, await call('GET', `/v1/cohorts/${created.id}/history`));
    matches(R.membersPage, await call('GET', `/v1/cohorts/${created.id}/members`));
    matches(R.explanation, await call('GET', `/v1/cohorts/${created.id}/explain?userId=ann`));
    matches(R.cohortDiff, await call('POST', `/v1/cohorts/${created.id}/diff`, { definition: { match: 'all', rules: [{ type: 'event', event: 'view' }] } }));
    matches(R.amplitudeCohortList, await call('GET', '/2/cohorts'));
    const dest = await call('POST', '/v1/destinations', { name: 'F', type: 'file', config: { directory: 'openapi-test', format: 'csv' } });
    matches(R.destination, dest);
    const sync = await call('POST', '/v1/syncs', { cohortId: created.id, destinationId: dest.id, frequency: 'daily' });
    matches(R.syncSchema, sync);
    matches(R.syncRuns, await call('GET', `/v1/syncs/${sync.id}/runs`));
    const steps = await k.app.inject({ method: 'PUT', url: `/v1/cohorts/${created.id}/steps`, headers: admin, payload: { steps: [{ name: 'New' }, { name: 'Called' }] } });
    expect(steps.statusCode, steps.body).toBe(200);
    matches(R.steps, steps.json());
    matches(R.board, await call('GET', `/v1/cohorts/${created.id}/board`));
    matches(R.actionsPage, await call('GET', `/v1/cohorts/${created.id}/actions`));
    matches(R.auditPage, await call('GET', '/v1/audit'));
    matches(R.funnel, await call('POST', '/v1/analytics/funnel', { from: '2020-01-01', to: '2030-01-01', segments: [{ all: true }], steps: [{ event: 'view' }, { event: 'purchase' }], conversionWindow: { amount: 7, unit: 'day' } }));
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
