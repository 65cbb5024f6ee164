import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Access } from '../services/accounts/access-port.js';
import type { QueryLimiter } from '../services/query-limiter.js';
import type { CohortInsightService } from '../services/cohorts/cohort-insight.js';
import { assertReferencesVisible, definitionOf, definitionReferences } from './reference-visibility.js';
import type { Authenticator } from './auth.js';

export interface CohortInsightRouteDeps {
  insight: CohortInsightService;
  auth: Authenticator;
  access: Access;
  /** Explain and diff are expensive reads: time limit and concurrency cap. */
  queries: QueryLimiter;
}

/**
 * Explain and diff (api.md, Cohorts). Explaining a saved cohort is a read of it;
 * a diff is part of editing it, so it needs the right to edit. A definition may
 * only refer to cohorts the caller sees (others read as unknown ids).
 */
export function registerCohortInsightRoutes(app: FastifyInstance, deps: CohortInsightRouteDeps): void {
  const { insight, auth, access, queries } = deps;
  const admin = { preHandler: auth.management() };
  const id = (req: FastifyRequest) => (req.params as { id: string }).id;

  const checkReferences = (req: FastifyRequest) => assertReferencesVisible(access, req, definitionReferences(definitionOf(req.body)));

  app.get('/v1/cohorts/:id/explain', admin, async (req) => {
    await access.requireCohort(req.principal, id(req), 'read');
    return queries.run('the explanation', (signal) => insight.explainSaved(id(req), req.query, { signal }));
  });
  app.post('/v1/cohorts/explain', admin, async (req) => {
    await checkReferences(req);
    return queries.run('the explanation', (signal) => insight.explainDefinition(req.body, { signal }));
  });
  app.post('/v1/cohorts/:id/diff', admin, async (req) => {
    await access.requireCohort(req.principal, id(req), 'edit');
    await checkReferences(req);
    return queries.run('the diff', (signal) => insight.diff(id(req), req.body, { signal }));
  });
}
