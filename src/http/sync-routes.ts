import type { FastifyInstance, FastifyRequest } from 'fastify';
import { presentForReader } from '../schemas/destination.js';
import { atLeast } from '../schemas/principal.js';
import type { Access, AuditLog } from '../services/accounts/access-port.js';
import type { CohortService } from '../services/cohorts/cohort-service.js';
import { notFound } from '../services/errors.js';
import type { SyncService } from '../services/syncs/sync-service.js';
import { q, recordChange } from './audit-trail.js';
import type { Authenticator } from './auth.js';

export interface SyncRouteDeps {
  syncs: SyncService;
  cohorts: Pick<CohortService, 'get'>;
  auth: Authenticator;
  access: Access;
  audit: AuditLog;
}

const bodyKeys = (b: unknown) => (b && typeof b === 'object' ? Object.keys(b).sort().join(', ') : '') || 'no fields';

/**
 * Destinations and syncs (api.md), with docs/TEAMS.md's rules: everyone reads
 * destinations, admins change them; syncs follow their cohort (seen → read,
 * changeable → create / change / run / delete).
 */
export function registerSyncRoutes(app: FastifyInstance, deps: SyncRouteDeps): void {
  const { syncs, cohorts, auth, access, audit } = deps;
  const admin = { preHandler: auth.management() };
  const id = (req: FastifyRequest) => (req.params as { id: string }).id;
  const force = (req: FastifyRequest) => (req.query as { force?: string }).force === 'true';
  const destinationAdmin = (req: FastifyRequest, what: string) => access.requireRole(req.principal, 'admin', what);

  /** The sync, if the caller's level on its cohort is at least `min`; a sync of an invisible cohort is unknown. */
  async function syncFor(req: FastifyRequest, min: 'read' | 'edit') {
    const s = await syncs.getSync(id(req));
    if ((await access.cohortLevel(req.principal, s.cohortId)) === 'none') throw notFound('sync', id(req));
    await access.requireCohort(req.principal, s.cohortId, min);
    return s;
  }
  /** "cohort "A" → destination "B"" for audit summaries (ids if either is gone). */
  async function route(cohortId: string, destinationId: string): Promise<string> {
    const c = await cohorts.get(cohortId).then((x) => q(x.name), () => cohortId);
    const d = await syncs.getDestination(destinationId).then((x) => q(x.name), () => destinationId);
    return `cohort ${c} → destination ${d}`;
  }

  app.post('/v1/destinations', admin, async (req, reply) => {
    destinationAdmin(req, 'Creating a destination');
    const d = await syncs.createDestination(req.body);
    await recordChange(audit, req, 'destination.created', { type: 'destination', id: d.id }, `Created ${d.type} destination ${q(d.name)}`);
    return reply.status(201).send(d);
  });
  // Readers below admin do not see credentials inside URLs either (userinfo, query values).
  const forReader = <T extends { config: Record<string, unknown> }>(req: FastifyRequest, d: T): T => (atLeast(req.principal.role, 'admin') ? d : presentForReader(d));
  app.get('/v1/destinations', admin, async (req) => (await syncs.listDestinations()).map((d) => forReader(req, d)));
  app.get('/v1/destinations/:id', admin, async (req) => forReader(req, await syncs.getDestination(id(req))));
  app.patch('/v1/destinations/:id', admin, async (req) => {
    destinationAdmin(req, 'Changing a destination');
    const d = await syncs.patchDestination(id(req), req.body);
    // Field names only: a config holds secrets.
    await recordChange(audit, req, 'destination.updated', { type: 'destination', id: d.id }, `Updated destination ${q(d.name)} (${bodyKeys(req.body)})`);
    return d;
  });
  app.delete('/v1/destinations/:id', admin, async (req, reply) => {
    destinationAdmin(req, 'Deleting a destination');
    const d = await syncs.getDestination(id(req));
    await syncs.deleteDestination(d.id, { force: force(req) });
    await recordChange(audit, req, 'destination.deleted', { type: 'destination', id: d.id }, `Deleted ${d.type} destination ${q(d.name)}${force(req) ? ' (and its syncs)' : ''}`);
    return reply.status(204).send();
  });
  app.post('/v1/destinations/:id/test', admin, async (req) => {
    destinationAdmin(req, 'Testing a destination');
    const d = await syncs.getDestination(id(req));
    const r = await syncs.testDestination(d.id);
    await recordChange(audit, req, 'destination.tested', { type: 'destination', id: d.id }, `Tested destination ${q(d.name)}: ${r.ok ? 'ok' : 'failed'}`);
    return r;
  });

  app.post('/v1/syncs', admin, async (req, reply) => {
    access.requireRole(req.principal, 'member', 'Creating a sync');
    const cohortId = (req.body as { cohortId?: unknown } | undefined)?.cohortId;
    // A malformed cohortId is left to the service's validation (400 naming the field).
    if (typeof cohortId === 'string' && cohortId.length > 0) await access.requireCohort(req.principal, cohortId, 'edit');
    const s = await syncs.createSync(req.body);
    await recordChange(audit, req, 'sync.created', { type: 'sync', id: s.id }, `Created a sync (${s.frequency === 'once' ? 'runs once' : s.frequency}): ${await route(s.cohortId, s.destinationId)}`);
    return reply.status(201).send(s);
  });
  app.get('/v1/syncs', admin, async (req) => {
    const visible = await access.visibleCohorts(req.principal);
    const all = await syncs.listSyncs(req.query);
    return visible === 'all' ? all : all.filter((s) => visible.has(s.cohortId));
  });
  app.get('/v1/syncs/:id', admin, async (req) => syncFor(req, 'read'));
  app.patch('/v1/syncs/:id', admin, async (req) => {
    await syncFor(req, 'edit');
    const s = await syncs.patchSync(id(req), req.body);
    await recordChange(audit, req, 'sync.updated', { type: 'sync', id: s.id }, `Updated sync (${bodyKeys(req.body)}): ${await route(s.cohortId, s.destinationId)}`);
    return s;
  });
  app.delete('/v1/syncs/:id', admin, async (req, reply) => {
    const s = await syncFor(req, 'edit');
    const where = await route(s.cohortId, s.destinationId);
    await syncs.deleteSync(s.id);
    await recordChange(audit, req, 'sync.deleted', { type: 'sync', id: s.id }, `Deleted sync: ${where}`);
    return reply.status(204).send();
  });
  app.post('/v1/syncs/:id/run', admin, async (req, reply) => {
    const s = await syncFor(req, 'edit');
    const run = await syncs.runNow(s.id);
    await recordChange(audit, req, 'sync.run_started', { type: 'sync', id: s.id }, `Started a run: ${await route(s.cohortId, s.destinationId)}`);
    return reply.status(202).send(run);
  });
  app.get('/v1/syncs/:id/runs', admin, async (req) => {
    await syncFor(req, 'read');
    const limit = Number((req.query as { limit?: string }).limit ?? 100);
    return syncs.listRuns(id(req), { limit: Number.isInteger(limit) && limit > 0 && limit <= 1000 ? limit : 100 });
  });
}
