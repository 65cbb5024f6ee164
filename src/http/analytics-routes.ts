import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Segment } from '../schemas/analytics.js';
import type { Access } from '../services/accounts/access-port.js';
import type { QueryLimiter } from '../services/query-limiter.js';
import { namedCohorts, type AnalyticsService } from '../services/analytics.js';
import { assertReferencesVisible } from './reference-visibility.js';
import type { Authenticator } from './auth.js';

/**
 * Analysis by cohort (analytics.md). Any role that may read events may run a
 * chart; a segment may name only cohorts the caller can see: a hidden cohort
 * as a segment is answered like an unknown one (404), and a definition that
 * refers to one is invalid (400), as in a cohort preview. Charts are expensive
 * reads: they run under the query limiter (time limit, concurrency cap).
 */
export function registerAnalyticsRoutes(app: FastifyInstance, deps: { analytics: AnalyticsService; auth: Authenticator; access: Access; queries: QueryLimiter }): void {
  const { analytics, auth, access, queries } = deps;
  const admin = { preHandler: auth.management() };

  async function checkSegments(req: FastifyRequest, segments: Segment[]): Promise<void> {
    const named = namedCohorts(segments);
    for (const id of named.segments) await access.requireCohort(req.principal, id, 'read');
    await assertReferencesVisible(access, req, named.inDefinitions, "A segment's definition");
  }

  app.post('/v1/analytics/segmentation', admin, async (req) => {
    const r = analytics.parseSegmentation(req.body);
    await checkSegments(req, r.segments);
    return queries.run('the segmentation chart', (signal) => analytics.segmentation(r, { signal }));
  });
  app.post('/v1/analytics/funnel', admin, async (req) => {
    const r = analytics.parseFunnel(req.body);
    await checkSegments(req, r.segments);
    return queries.run('the funnel chart', (signal) => analytics.funnel(r, { signal }));
  });
  app.post('/v1/analytics/retention', admin, async (req) => {
    const r = analytics.parseRetention(req.body);
    await checkSegments(req, r.segments);
    return queries.run('the retention chart', (signal) => analytics.retention(r, { signal }));
  });
}
