import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { SyncService } from '../services/syncs/sync-service.js';
import type { Authenticator } from './auth.js';

/** Destinations and syncs (api.md, Destinations and Syncs). */
export function registerSyncRoutes(app: FastifyInstance, deps: { syncs: SyncService; auth: Authenticator }): void {
  const { syncs, auth } = deps;
  const admin = { preHandler: auth.management() };
  const id = (req: FastifyRequest) => (req.params as { id: string }).id;
  const force = (req: FastifyRequest) => (req.query as { force?: string }).force === 'true';

  app.post('/v1/destinations', admin, async (req, reply) => reply.status(201).send(await syncs.createDestination(req.body)));
  app.get('/v1/destinations', admin, async () => syncs.listDestinations());
  app.get('/v1/destinations/:id', admin, async (req) => syncs.getDestination(id(req)));
  app.patch('/v1/destinations/:id', admin, async (req) => syncs.patchDestination(id(req), req.body));
  app.delete('/v1/destinations/:id', admin, async (req, reply) => {
    await syncs.deleteDestination(id(req), { force: force(req) });
    return reply.status(204).send();
  });
  app.post('/v1/destinations/:id/test', admin, async (req) => syncs.testDestination(id(req)));

  app.post('/v1/syncs', admin, async (req, reply) => reply.status(201).send(await syncs.createSync(req.body)));
  app.get('/v1/syncs', admin, async (req) => syncs.listSyncs(req.query));
  app.get('/v1/syncs/:id', admin, async (req) => syncs.getSync(id(req)));
  app.patch('/v1/syncs/:id', admin, async (req) => syncs.patchSync(id(req), req.body));
  app.delete('/v1/syncs/:id', admin, async (req, reply) => {
    await syncs.deleteSync(id(req));
    return reply.status(204).send();
  });
  app.post('/v1/syncs/:id/run', admin, async (req, reply) => reply.status(202).send(await syncs.runNow(id(req))));
  app.get('/v1/syncs/:id/runs', admin, async (req) => {
    const limit = Number((req.query as { limit?: string }).limit ?? 100);
    return syncs.listRuns(id(req), { limit: Number.isInteger(limit) && limit > 0 && limit <= 1000 ? limit : 100 });
  });
}
