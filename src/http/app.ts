import fastifyCookie from '@fastify/cookie';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyServerOptions } from 'fastify';
import type { Access } from '../services/accounts/access-port.js';
import { createAccess } from '../services/accounts/access.js';
import type { EventsService } from '../services/events.js';
import type { IngestService } from '../services/ingest.js';
import { INGEST_LIMITS } from '../schemas/events.js';
import type { Authenticator } from './auth.js';
import { registerErrorHandling } from './errors.js';
import { registerEventRoutes } from './event-routes.js';
import { registerIngestRoutes } from './ingest-routes.js';
import { registerApiDocs, registerOpenApi } from './openapi.js';
import { ROUTE_SCHEMAS } from './route-schemas.js';
import { registerRouteValidation } from './route-validation.js';
import { registerSecurityHeaders } from './security-headers.js';

export interface AppDeps {
  auth: Authenticator;
  /** Who sees which cohorts (a user's page lists only those). Default: an app without cohorts (none to see). */
  access?: Access;
  writeKey: string;
  version: string;
  ingest: IngestService;
  events: EventsService;
  /** Further route modules (cohorts, destinations, syncs, web app). */
  plugins?: ((app: FastifyInstance) => void | Promise<void>)[];
  /** true or a level name: JSON logs without credentials; false: none. */
  logger?: FastifyServerOptions['logger'] | string;
  /** The process logger (made with `loggerOptions`), shared with the services; wins over `logger`. */
  loggerInstance?: FastifyBaseLogger;
}

/** Keeps secrets that may sit in a query string (the SSE `token`) out of the logs. */
export const redactUrl = (url: string) => url.replace(/([?&](?:token|api_key)=)[^&]*/g, '$1[redacted]');

/** Request logs carry method, redacted URL and address: never headers (credentials) or bodies. */
export function loggerOptions(level = 'info') {
  return {
    level,
    serializers: {
      req: (req: { method: string; url: string; ip?: string }) => ({ method: req.method, url: redactUrl(req.url), ip: req.ip }),
    },
  };
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    bodyLimit: INGEST_LIMITS.requestBytes,
    // User ids may be up to 1,024 characters, each up to 9 bytes once percent-encoded.
    routerOptions: { maxParamLength: 10_000 },
    // Errors raised before routing (bad URL encoding, over-long ids) in the contract's shape too.
    frameworkErrors: (err, _req, reply) => {
      const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 400;
      void (reply as FastifyReply).status(status).send({ error: { code: 'bad_request', message: err.message } });
    },
    ...(deps.loggerInstance
      ? { loggerInstance: deps.loggerInstance }
      : { logger: typeof deps.logger === 'string' ? loggerOptions(deps.logger) : deps.logger === true ? loggerOptions() : (deps.logger ?? false) }),
    // Bodies with __proto__ / constructor.prototype are refused, not cleaned.
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
  });
  // Segment's browser library sends JSON as text/plain (sendBeacon).
  app.addContentTypeParser('text/plain', { parseAs: 'string' }, app.getDefaultJsonParser('error', 'error'));
  registerErrorHandling(app);
  // Browser sessions live in cookies (session-cookies.ts); parsed for every route.
  await app.register(fastifyCookie);
  registerSecurityHeaders(app);
  registerRouteValidation(app, ROUTE_SCHEMAS);
  await registerOpenApi(app, { version: deps.version });
  registerApiDocs(app);
  app.get('/healthz', { schema: { summary: 'Liveness (no auth)', tags: ['Health'] } }, async () => ({ ok: true, version: deps.version }));
  registerIngestRoutes(app, { ingest: deps.ingest, writeKey: deps.writeKey });
  const access = deps.access ?? createAccess({
    cohorts: { get: async () => undefined, idsOwnedBy: async () => [] },
    collaborators: { get: async () => undefined, listForAccount: async () => [] },
  });
  registerEventRoutes(app, { events: deps.events, auth: deps.auth, access });
  for (const p of deps.plugins ?? []) await p(app);
  return app;
}
