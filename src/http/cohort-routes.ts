import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Cohort } from '../schemas/cohort.js';
import { csvText } from '../schemas/csv.js';
import type { Access, AuditLog } from '../services/accounts/access-port.js';
import type { CohortService } from '../services/cohorts/cohort-service.js';
import type { CollaboratorService } from '../services/cohorts/collaborators.js';
import type { MembersService } from '../services/cohorts/cohort-members.js';
import type { MembersCsv } from '../services/cohorts/members-csv.js';
import type { QueryLimiter } from '../services/query-limiter.js';
import { q, recordChange } from './audit-trail.js';
import { assertReferencesVisible, definitionOf, definitionReferences } from './reference-visibility.js';
import type { Authenticator } from './auth.js';

export interface CohortRouteDeps {
  cohorts: CohortService;
  members: MembersService;
  /** The members CSV with trait columns (`?traits=`). */
  membersCsv?: MembersCsv;
  collaborators: CollaboratorService;
  auth: Authenticator;
  access: Access;
  audit: AuditLog;
  /** Time limit and concurrency cap for expensive reads (preview). */
  queries?: QueryLimiter;
  /** Workflow step summaries (docs/TEAMS.md: cohorts with steps carry them). */
  steps?: { summaries(cohortIds: string[]): Promise<Map<string, { id: string; name: string; cardCount: number }[]>> };
}

const amplitudeCohort = (c: Cohort) => ({ id: c.id, name: c.name, size: c.size, lastComputed: c.computedAt, description: c.description });
const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;
const bodyKeys = (b: unknown) => (b && typeof b === 'object' ? Object.keys(b).sort().join(', ') : '');

/** Cohorts (api.md, Cohorts), incl. the Amplitude-style reads, with docs/TEAMS.md's access rules. */
export function registerCohortRoutes(app: FastifyInstance, deps: CohortRouteDeps): void {
  const { cohorts, members, collaborators, auth, access, audit } = deps;
  const admin = { preHandler: auth.management() };
  const id = (req: FastifyRequest) => (req.params as { id: string }).id;

  /** Cohort → API JSON: the one place that decorates a cohort (owner, collaborators with email and name). */
  async function present(c: Cohort): Promise<Cohort> {
    const steps = (await deps.steps?.summaries([c.id]))?.get(c.id);
    return { ...c, ownerId: c.ownerId ?? null, collaborators: await collaborators.list(c.id), ...(steps?.length ? { steps } : {}) };
  }

  /** The cohort after checking the caller's level on it (404 if invisible, 403 if below). */
  async function cohortFor(req: FastifyRequest, min: 'read' | 'edit' | 'owner'): Promise<Cohort> {
    await access.requireCohort(req.principal, id(req), min);
    return cohorts.get(id(req));
  }

  const checkReferences = (req: FastifyRequest, definition: unknown) => assertReferencesVisible(access, req, definitionReferences(definition));

  // Static list uploads may be CSV; keep the text for the members service to parse.
  app.addContentTypeParser('text/csv', { parseAs: 'string', bodyLimit: 32 * 1024 * 1024 }, (_req, body, done) => done(null, body));

  app.post('/v1/cohorts/preview', admin, async (req) => {
    await checkReferences(req, definitionOf(req.body));
    if (!deps.queries) return cohorts.preview(req.body);
    return deps.queries.run('the preview', (signal) => cohorts.preview(req.body, { signal }));
  });
  app.post('/v1/cohorts', admin, async (req, reply) => {
    access.requireRole(req.principal, 'member', 'Creating a cohort');
    await checkReferences(req, definitionOf(req.body));
    const c = await cohorts.create(req.body, req.principal);
    const out = await present(c);
    const invited = out.collaborators?.length ? ` with ${plural(out.collaborators.length, 'collaborator')}` : '';
    await recordChange(audit, req, 'cohort.created', { type: 'cohort', id: c.id }, `Created ${c.kind} cohort ${q(c.name)}${invited}`);
    return reply.status(201).send(out);
  });
  app.get('/v1/cohorts', admin, async (req) => {
    const page = await cohorts.list(req.query, { visible: await access.visibleCohorts(req.principal), accountId: req.principal.accountId });
    return { items: await Promise.all(page.items.map(present)), nextCursor: page.nextCursor };
  });
  app.get('/v1/cohorts/:id', admin, async (req) => present(await cohortFor(req, 'read')));
  app.patch('/v1/cohorts/:id', admin, async (req) => {
    await cohortFor(req, 'edit');
    await checkReferences(req, definitionOf(req.body));
    const c = await cohorts.patch(id(req), req.body);
    await recordChange(audit, req, 'cohort.updated', { type: 'cohort', id: c.id }, `Updated cohort ${q(c.name)} (${bodyKeys(req.body) || 'no fields'})`);
    return present(c);
  });
  app.delete('/v1/cohorts/:id', admin, async (req, reply) => {
    const c = await cohortFor(req, 'owner');
    const force = (req.query as { force?: string }).force === 'true';
    await cohorts.remove(c.id, force, await access.visibleCohorts(req.principal));
    await recordChange(audit, req, 'cohort.deleted', { type: 'cohort', id: c.id }, `Deleted cohort ${q(c.name)}${force ? ' (and its syncs)' : ''}`);
    return reply.status(204).send();
  });
  app.post('/v1/cohorts/:id/refresh', admin, async (req) => {
    await cohortFor(req, 'edit');
    const c = await cohorts.refresh(id(req));
    const outcome = c.calculation.state === 'failed' ? `failed: ${c.calculation.lastError ?? 'unknown error'}` : `${plural(c.size, 'member')}`;
    await recordChange(audit, req, 'cohort.refreshed', { type: 'cohort', id: c.id }, `Refreshed cohort ${q(c.name)}: ${outcome}`);
    return present(c);
  });
  app.get('/v1/cohorts/:id/history', admin, async (req) => {
    await cohortFor(req, 'read');
    return cohorts.history(id(req));
  });

  app.get('/v1/cohorts/:id/members', admin, async (req, reply) => {
    await cohortFor(req, 'read');
    if (!(req.headers.accept ?? '').includes('text/csv')) return members.page(id(req), req.query);
    const withTraits = await deps.membersCsv?.open(id(req), req.query);
    reply.header('content-type', 'text/csv; charset=utf-8');
    reply.header('content-disposition', `attachment; filename="cohort-${id(req)}-members.csv"`);
    if (withTraits) return reply.send(Readable.from(withTraits.text));
    const pages = await members.stream(id(req));
    async function* csv() {
      yield 'user_id\n';
      for await (const page of pages) yield csvText(page.map((u) => [u]));
    }
    return reply.send(Readable.from(csv()));
  });
  app.post('/v1/cohorts/:id/members', { ...admin, bodyLimit: 32 * 1024 * 1024 }, async (req) => {
    const c = await cohortFor(req, 'edit');
    const r = await members.add(c.id, req.body, (req.headers['content-type'] ?? '').startsWith('text/csv'));
    await recordChange(audit, req, 'cohort.members_added', { type: 'cohort', id: c.id },
      `Added ${plural(r.added, 'member')} to cohort ${q(c.name)} (${r.alreadyMember} already in, ${r.invalid.length} invalid)`);
    return r;
  });
  app.delete('/v1/cohorts/:id/members', admin, async (req) => {
    const c = await cohortFor(req, 'edit');
    const r = await members.remove(c.id, req.body);
    await recordChange(audit, req, 'cohort.members_removed', { type: 'cohort', id: c.id }, `Removed ${plural(r.removed, 'member')} from cohort ${q(c.name)}`);
    return r;
  });

  app.get('/2/cohorts', admin, async (req) => {
    const visible = await access.visibleCohorts(req.principal);
    const all = (await cohorts.all()).filter((c) => visible === 'all' || visible.has(c.id));
    return { cohorts: all.sort((a, b) => a.name.localeCompare(b.name)).map(amplitudeCohort) };
  });
  app.get('/2/cohorts/:id', admin, async (req) => amplitudeCohort(await cohortFor(req, 'read')));
}
