import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { putCollaboratorSchema } from '../schemas/cohort.js';
import { collaboratorRoleSchema } from '../schemas/principal.js';
import type { Access, AuditLog } from '../services/accounts/access-port.js';
import type { CohortService } from '../services/cohorts/cohort-service.js';
import type { CollaboratorService } from '../services/cohorts/collaborators.js';
import { q, recordChange } from './audit-trail.js';
import type { Authenticator } from './auth.js';
import { errorResponses } from './openapi-shapes.js';
import { documented } from './route-validation.js';

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
  const r = app.withTypeProvider<ZodTypeProvider>();
  const preHandler = auth.management();
  const cohortId = z.object({ id: z.string().min(1).describe('the cohort id') });
  const collaborator = cohortId.extend({ accountId: z.string().min(1).describe('the account id') });
  const collaboratorBody = z.object({ accountId: z.string(), email: z.string(), name: z.string(), role: collaboratorRoleSchema });

  r.get('/v1/cohorts/:id/collaborators', {
    preHandler,
    schema: { summary: "A cohort's collaborators", params: cohortId, response: { 200: z.array(collaboratorBody), ...errorResponses(401, 404) } },
  }, async (req) => {
    await access.requireCohort(req.principal, req.params.id, 'read');
    return collaborators.list(req.params.id);
  });

  // The body is validated by the collaborator service with the same schema (its messages name the invitee).
  r.put('/v1/cohorts/:id/collaborators/:accountId', {
    preHandler,
    schema: { summary: 'Invite or change a collaborator', params: collaborator, body: documented(putCollaboratorSchema), response: { 200: collaboratorBody, ...errorResponses(400, 401, 403, 404) } },
  }, async (req) => {
    const { id, accountId } = req.params;
    await access.requireCohort(req.principal, id, 'owner');
    const c = await cohorts.get(id);
    const { collaborator, previous } = await collaborators.set(id, c.ownerId ?? null, accountId, req.body);
    const change = previous === null ? `Invited ${collaborator.email} as ${collaborator.role}` : `Changed ${collaborator.email} from ${previous} to ${collaborator.role}`;
    await recordChange(audit, req, 'cohort.collaborator_set', { type: 'cohort', id }, `${change} on cohort ${q(c.name)}`);
    return collaborator;
  });

  r.delete('/v1/cohorts/:id/collaborators/:accountId', {
    preHandler,
    schema: { summary: 'Remove a collaborator', params: collaborator, response: { 204: z.null().describe('Removed'), ...errorResponses(401, 403, 404) } },
  }, async (req, reply) => {
    const { id, accountId } = req.params;
    await access.requireCohort(req.principal, id, 'owner');
    const c = await cohorts.get(id);
    const who = (await collaborators.list(id)).find((x) => x.accountId === accountId);
    await collaborators.remove(id, accountId);
    await recordChange(audit, req, 'cohort.collaborator_removed', { type: 'cohort', id },
      `Removed ${who?.email ?? `account ${accountId}`} from cohort ${q(c.name)}`);
    return reply.status(204).send(null);
  });
}
