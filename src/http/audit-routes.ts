import type { FastifyInstance } from 'fastify';
import { atLeast } from '../schemas/principal.js';
import type { AuditService } from '../services/accounts/audit.js';
import { forbidden } from '../services/errors.js';
import type { Authenticator } from './auth.js';

/** `GET /v1/audit` (docs/TEAMS.md, "Audit log"): admins and owners only. */
export function registerAuditRoutes(app: FastifyInstance, deps: { audit: AuditService; auth: Authenticator }): void {
  const { audit, auth } = deps;
  app.get(
    '/v1/audit',
    {
      preHandler: [
        auth.management(),
        async (req) => {
          if (!atLeast(req.principal.role, 'admin')) throw forbidden(`Only admins and owners can read the audit log; you are ${req.principal.role}`);
        },
      ],
    },
    async (req) => audit.list(req.query),
  );
}
