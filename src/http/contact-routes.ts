import type { FastifyInstance } from 'fastify';
import type { ContactsService } from '../services/contacts.js';
import type { QueryLimiter } from '../services/query-limiter.js';
import type { Authenticator } from './auth.js';

/** The contacts directory (docs/TEAMS.md, Contacts): any role may read it. */
export function registerContactRoutes(app: FastifyInstance, deps: { contacts: ContactsService; auth: Authenticator; queries?: QueryLimiter }): void {
  const { contacts, auth, queries } = deps;
  app.get('/v1/contacts', { preHandler: auth.management() }, async (req) =>
    queries ? queries.run('the contacts query', (signal) => contacts.page(req.principal, req.query, { signal })) : contacts.page(req.principal, req.query));
}
