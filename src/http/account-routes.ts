import type { FastifyInstance, FastifyRequest } from 'fastify';
import { atLeast, type Role } from '../schemas/principal.js';
import type { AccountService } from '../services/accounts/account-service.js';
import { forbidden } from '../services/errors.js';
import { requestCredential, type Authenticator } from './auth.js';
import { registerSessionRoutes } from './session-routes.js';

/** Sign-in, own profile and tokens, and account administration (docs/TEAMS.md, "Accounts and auth"). */
export function registerAccountRoutes(app: FastifyInstance, deps: { accounts: AccountService; auth: Authenticator }): void {
  const { accounts, auth } = deps;
  const signedIn = { preHandler: auth.management() };
  const role = (min: Role, what: string) => ({
    preHandler: [
      auth.management(),
      async (req: FastifyRequest) => {
        if (!atLeast(req.principal.role, min)) throw forbidden(`Only ${min}s and above can ${what}; you are ${req.principal.role}`);
      },
    ],
  });
  const id = (req: FastifyRequest) => (req.params as { id: string }).id;

  app.post('/v1/auth/login', async (req) => accounts.login(req.body));
  // Browser sign-in with cookies, and sign-out (which also clears them).
  registerSessionRoutes(app, { accounts, auth });

  app.get('/v1/me', signedIn, async (req) => accounts.me(req.principal));
  app.patch('/v1/me', signedIn, async (req) => accounts.patchMe(req.principal, req.body, requestCredential(req) ?? ''));
  app.get('/v1/me/tokens', signedIn, async (req) => accounts.listTokens(req.principal));
  app.post('/v1/me/tokens', signedIn, async (req, reply) => reply.status(201).send(await accounts.createToken(req.principal, req.body)));
  app.delete('/v1/me/tokens/:id', signedIn, async (req, reply) => {
    await accounts.revokeToken(req.principal, id(req));
    return reply.status(204).send();
  });

  app.get('/v1/accounts', signedIn, async () => accounts.list());
  app.post('/v1/accounts', role('admin', 'create accounts'), async (req, reply) => reply.status(201).send(await accounts.create(req.principal, req.body)));
  app.get('/v1/accounts/:id', signedIn, async (req) => accounts.get(id(req)));
  app.patch('/v1/accounts/:id', role('admin', 'change accounts'), async (req) => accounts.patch(req.principal, id(req), req.body));
  app.delete('/v1/accounts/:id', role('admin', 'delete accounts'), async (req, reply) => {
    await accounts.remove(req.principal, id(req));
    return reply.status(204).send();
  });
}
