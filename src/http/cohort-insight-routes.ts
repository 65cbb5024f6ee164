import type { FastifyInstance, FastifyRequest } from 'fastify';
import { referencedCohortIds } from '../cohort/cohort-references.js';
import { parseDefinition } from '../schemas/definition.js';
import type { Access } from '../services/accounts/access-port.js';
import type { QueryLimiter } from '../services/query-limiter.js';
import type { CohortInsightService } from '../services/cohorts/cohort-insight.js';
import { ServiceError } from '../services/errors.js';
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

  async function checkReferences(req: FastifyRequest): Promise<void> {
    const body = req.body;
    const parsed = parseDefinition(body && typeof body === 'object' ? (body as { definition?: unknown }).definition : undefined);
    if (!parsed.ok) return; // the service reports the definition's own problems
    const visible = await access.visibleCohorts(req.principal);
    if (visible === 'all') return;
    const hidden = referencedCohortIds(parsed.value).filter((r) => !visible.has(r));
    if (hidden.length) {
      throw new ServiceError(400, 'invalid_definition', `The definition refers to cohort ${hidden.map((u) => `"${u}"`).join(', ')}, which does not exist`,
        hidden.map((u) => ({ path: 'cohortId', message: `cohort "${u}" does not exist` })));
    }
  }

  app.get('/v1/cohorts/:id/explain', admin, async (req) => {
    await access.requireCohort(req.principal, id(req), 'read');
    return queries.run('the explanation', () => insight.explainSaved(id(req), req.query));
  });
  app.post('/v1/cohorts/explain', admin, async (req) => {
    await checkReferences(req);
    return queries.run('the explanation', () => insight.explainDefinition(req.body));
  });
  app.post('/v1/cohorts/:id/diff', admin, async (req) => {
    await access.requireCohort(req.principal, id(req), 'edit');
    await checkReferences(req);
    return queries.run('the diff', () => insight.diff(id(req), req.body));
  });
}
