import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Access, AuditLog } from '../services/accounts/access-port.js';
import type { WorkflowService } from '../services/workflows/workflow-service.js';
import { q, recordChange } from './audit-trail.js';
import type { Authenticator } from './auth.js';

export interface WorkflowRouteDeps {
  workflows: WorkflowService;
  auth: Authenticator;
  access: Access;
  audit: AuditLog;
}

/** Workflow steps, the board, card moves and the action log (docs/TEAMS.md). */
export function registerWorkflowRoutes(app: FastifyInstance, deps: WorkflowRouteDeps): void {
  const { workflows, auth, access, audit } = deps;
  const admin = { preHandler: auth.management() };
  const id = (req: FastifyRequest) => (req.params as { id: string }).id;
  const allowed = (req: FastifyRequest, min: 'read' | 'edit') => access.requireCohort(req.principal, id(req), min);

  app.get('/v1/cohorts/:id/steps', admin, async (req) => {
    await allowed(req, 'read');
    return workflows.steps(id(req));
  });

  app.put('/v1/cohorts/:id/steps', admin, async (req) => {
    await allowed(req, 'edit');
    const steps = await workflows.putSteps(req.principal, id(req), req.body);
    const names = steps.map((s) => q(s.name)).join(', ');
    await recordChange(audit, req, 'cohort.steps_updated', { type: 'cohort', id: id(req) },
      steps.length ? `Set ${steps.length} workflow step(s): ${names}` : 'Removed the workflow steps');
    return steps;
  });

  app.get('/v1/cohorts/:id/board', admin, async (req) => {
    await allowed(req, 'read');
    return workflows.board(id(req), req.query);
  });

  app.post('/v1/cohorts/:id/cards/:userId/move', admin, async (req) => {
    await allowed(req, 'edit');
    const userId = (req.params as { userId: string }).userId;
    const r = await workflows.move(req.principal, id(req), userId, req.body);
    if (r.moved) {
      await recordChange(audit, req, 'card.moved', { type: 'cohort', id: id(req) }, `Moved ${q(userId)} to step ${q(r.stepName)}`);
    }
    return r.card;
  });

  app.get('/v1/cohorts/:id/actions', admin, async (req) => {
    await allowed(req, 'read');
    return workflows.actions(id(req), req.query);
  });
}
