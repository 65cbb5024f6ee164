import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { IngestService } from '../services/ingest.js';
import { registerAmplitudeRoutes } from './amplitude-routes.js';
import { requireWriteKey } from './auth.js';

const bodyBytes = (req: FastifyRequest) => {
  const n = Number(req.headers['content-length']);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
};

/** Segment- and Amplitude-style ingestion (api.md, Ingestion). */
export function registerIngestRoutes(app: FastifyInstance, deps: { ingest: IngestService; writeKey: string }): void {
  const { ingest, writeKey } = deps;
  // After body parsing, so Amplitude's api_key in the body can authenticate.
  const config = { preHandler: async (req: FastifyRequest) => requireWriteKey(req, writeKey) };
  const segment = (r: { stored: number; duplicates: number }) => ({ success: true, ...r });

  app.post('/v1/track', config, async (req) => segment(await ingest.track(req.body)));
  app.post('/v1/identify', config, async (req) => segment(await ingest.identify(req.body)));
  app.post('/v1/alias', config, async (req) => segment(await ingest.alias(req.body)));
  app.post('/v1/page', config, async (req) => segment(await ingest.page(req.body)));
  app.post('/v1/screen', config, async (req) => segment(await ingest.screen(req.body)));
  app.post('/v1/group', config, async (req) => segment(await ingest.group(req.body)));
  app.post('/v1/batch', config, async (req) => segment(await ingest.batch(req.body, bodyBytes(req))));
  registerAmplitudeRoutes(app, deps);
}
