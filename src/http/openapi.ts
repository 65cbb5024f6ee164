import { createReadStream } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import fastifySwagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import { createJsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { SECURITY } from './openapi-shapes.js';

/** Ingestion routes (write key); every other route under the API prefixes takes a management token. */
const WRITE_KEY_ROUTE = /^\/(v1\/(track|identify|alias|batch|page|screen|group)|2\/httpapi|batch|identify)$/;
const PUBLIC_ROUTES = new Set(['/healthz', '/v1/auth/login']);
const API_ROUTE = /^\/(v1|2|api|batch|identify|healthz)(\/|$)/;

/** The tag a route is listed under when its schema names none (by its path). */
function tagOf(url: string): string {
  if (WRITE_KEY_ROUTE.test(url)) return 'Ingestion';
  if (url.startsWith('/api/')) return 'Amplitude cohort API';
  if (url.startsWith('/2/')) return 'Amplitude-style reads';
  const m = /^\/v1\/([a-z-]+)/.exec(url);
  const word = m?.[1] ?? 'Health';
  const names: Record<string, string> = {
    'event-types': 'Events and users', events: 'Events and users', users: 'Events and users', contacts: 'Contacts',
    cohorts: 'Cohorts', destinations: 'Destinations', syncs: 'Syncs', auth: 'Accounts', me: 'Accounts', accounts: 'Accounts', audit: 'Audit log',
  };
  return names[word] ?? word;
}

const DESCRIPTION = `Kohort's HTTP API. Errors are \`{ "error": { "code", "message", "details"? } }\`.
Ingestion routes take the write key; management routes a Bearer token (the admin token, a session token
from \`POST /v1/auth/login\`, or a personal API token from \`POST /v1/me/tokens\`).`;

/**
 * The OpenAPI 3.1 document, built by @fastify/swagger from the routes' zod
 * schemas (must be registered before the routes). Routes whose schema does not
 * say who may call them get it from their path, so every API route is listed
 * with its auth; the web app's routes are left out.
 */
export async function registerOpenApi(app: FastifyInstance, opts: { version: string }): Promise<void> {
  const zodTransform = createJsonSchemaTransform({});
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Kohort API', version: opts.version, description: DESCRIPTION },
      components: {
        securitySchemes: {
          adminToken: { type: 'http', scheme: 'bearer', description: 'Admin token, session token or personal API token' },
          tokenBasic: { type: 'http', scheme: 'basic', description: 'The same tokens as Basic base64(token + ":") (Amplitude cohort API)' },
          writeKeyBasic: { type: 'http', scheme: 'basic', description: 'Write key as Basic base64(writeKey + ":") (Segment style)' },
          writeKeyBearer: { type: 'http', scheme: 'bearer', description: 'Write key as Bearer' },
          writeKeyInBody: { type: 'apiKey', in: 'query', name: 'api_key', description: 'Amplitude style: api_key in the JSON body (OpenAPI cannot say "in the body"; it is not read from the query)' },
        },
      },
    },
    transform: (doc) => {
      const { url, route } = doc;
      if (!API_ROUTE.test(url)) return { schema: { hide: true } as never, url };
      const out = zodTransform(doc);
      const schema = { ...(out.schema as Record<string, unknown>) };
      schema.tags ??= [tagOf(url)];
      schema.security ??= PUBLIC_ROUTES.has(url) ? SECURITY.none : WRITE_KEY_ROUTE.test(url) && route.method === 'POST' ? SECURITY.writeKey : SECURITY.admin;
      return { schema: schema as never, url: out.url };
    },
    transformObject: jsonSchemaTransformObject,
  });
}

const UI_DIR = path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

const DOCS_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Kohort API</title>
<link rel="stylesheet" href="/docs/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script src="/docs/docs.js"></script>
</body>
</html>
`;

// Loaded as a file, not inline, so the page works under a CSP without 'unsafe-inline' scripts.
const DOCS_SCRIPT = `window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui', deepLinking: true });\n`;

/** `GET /openapi.json` and `GET /docs` (Swagger UI from swagger-ui-dist, no inline script). */
export function registerApiDocs(app: FastifyInstance): void {
  const hidden = { schema: { hide: true } };
  app.get('/openapi.json', hidden, async () => app.swagger());
  app.get('/docs', hidden, async (_req, reply) => reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(DOCS_PAGE));
  app.get('/docs/docs.js', hidden, async (_req, reply) => reply.type('text/javascript; charset=utf-8').send(DOCS_SCRIPT));
  const files: Record<string, string> = { 'swagger-ui.css': 'text/css; charset=utf-8', 'swagger-ui-bundle.js': 'text/javascript; charset=utf-8' };
  for (const [file, type] of Object.entries(files)) {
    app.get(`/docs/${file}`, hidden, async (_req, reply) =>
      reply.type(type).header('cache-control', 'public, max-age=3600').send(createReadStream(path.join(UI_DIR, file))));
  }
}
