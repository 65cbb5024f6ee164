import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Access, AuditLog } from '../services/accounts/access-port.js';
import type { CohortService } from '../services/cohorts/cohort-service.js';
import type { CollaboratorService } from '../services/cohorts/collaborators.js';
import { q, recordChange } from './audit-trail.js';
import type { Authenticator } from './auth.js';

export interface CollaboratorRouteDeps {
  cohorts: CohortService;
  collaborators: CollaboratorService;
  auth: Authenticator;
  access: Access;
  audit: AuditLog;
}

/**
 * `GET|PUT|DELETE /v1/cohorts/:id/collaborators[/:accountId]` (docs/TEAMS.md):
 * anyone who sees the cohort reads the list; only its owner (or an admin) changes it.
 */
export function registerCollaboratorRoutes(app: FastifyInstance, deps: CollaboratorRouteDeps): void {
  const { cohorts, collaborators, auth, access, audit } = deps;
  const admin = { preHandler: auth.management() };
  const params = (req: FastifyRequest) => req.params as { id: string; accountId: string };

  app.get('/v1/cohorts/:id/collaborators', admin, async (req) => {
    await access.requireCohort(req.principal, params(req).id, 'read');
    return collaborators.list(params(req).id);
  });

  app.put('/v1/cohorts/:id/collaborators/:accountId', admin, async (req) => {
    const { id, accountId } = params(req);
    await access.requireCohort(req.principal, id, 'owner');
    const c = await cohorts.get(id);
    const { collaborator, previous } = await collaborators.set(id, c.ownerId ?? null, accountId, req.body);
    const change = previous === null ? `Invited ${collaborator.email} as ${collaborator.role}` : `Changed ${collaborator.email} from ${previous} to ${collaborator.role}`;
    await recordChange(audit, req, 'cohort.collaborator_set', { type: 'cohort', id }, `${change} on cohort ${q(c.name)}`);
    return collaborator;
  });

  app.delete('/v1/cohorts/:id/collaborators/:accountId', admin, async (req, reply) => {
    const { id, accountId } = params(req);
    await access.requireCohort(req.principal, id, 'owner');
    const c = await cohorts.get(id);
    const who = (await collaborators.list(id)).find((x) => x.accountId === accountId);
    await collaborators.remove(id, accountId);
    await recordChange(audit, req, 'cohort.collaborator_removed', { type: 'cohort', id },
      `Removed ${who?.email ?? `account ${accountId}`} from cohort ${q(c.name)}`);
    return reply.status(204).send();
  });
}
