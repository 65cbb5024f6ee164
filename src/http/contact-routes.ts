import type { FastifyInstance } from 'fastify';
import type { ContactsService } from '../services/contacts.js';
import type { Authenticator } from './auth.js';

/** The contacts directory (docs/TEAMS.md, Contacts): any role may read it. */
export function registerContactRoutes(app: FastifyInstance, deps: { contacts: ContactsService; auth: Authenticator }): void {
  const { contacts, auth } = deps;
  app.get('/v1/contacts', { preHandler: auth.management() }, async (req) => contacts.page(req.principal, req.query));
}
