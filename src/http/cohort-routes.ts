import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Cohort } from '../schemas/cohort.js';
import type { CohortService } from '../services/cohorts/cohort-service.js';
import type { MembersService } from '../services/cohorts/cohort-members.js';
import type { Authenticator } from './auth.js';

const amplitudeCohort = (c: Cohort) => ({ id: c.id, name: c.name, size: c.size, lastComputed: c.computedAt, description: c.description });
const csvCell = (v: string) => (/[",\r\n]/.test(v) || /^[=+\-@]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

/** Cohorts (api.md, Cohorts), incl. the Amplitude-style reads. */
export function registerCohortRoutes(app: FastifyInstance, deps: { cohorts: CohortService; members: MembersService; auth: Authenticator }): void {
  const { cohorts, members, auth } = deps;
  const admin = { preHandler: auth.management() };
  const id = (req: FastifyRequest) => (req.params as { id: string }).id;

  // Static list uploads may be CSV; keep the text for the members service to parse.
  app.addContentTypeParser('text/csv', { parseAs: 'string', bodyLimit: 32 * 1024 * 1024 }, (_req, body, done) => done(null, body));

  app.post('/v1/cohorts/preview', admin, async (req) => cohorts.preview(req.body));
  app.post('/v1/cohorts', admin, async (req, reply) => reply.status(201).send(await cohorts.create(req.body)));
  app.get('/v1/cohorts', admin, async (req) => cohorts.list(req.query));
  app.get('/v1/cohorts/:id', admin, async (req) => cohorts.get(id(req)));
  app.patch('/v1/cohorts/:id', admin, async (req) => cohorts.patch(id(req), req.body));
  app.delete('/v1/cohorts/:id', admin, async (req, reply) => {
    await cohorts.remove(id(req), (req.query as { force?: string }).force === 'true');
    return reply.status(204).send();
  });
  app.post('/v1/cohorts/:id/refresh', admin, async (req) => cohorts.refresh(id(req)));
  app.get('/v1/cohorts/:id/history', admin, async (req) => cohorts.history(id(req)));

  app.get('/v1/cohorts/:id/members', admin, async (req, reply) => {
    if (!(req.headers.accept ?? '').includes('text/csv')) return members.page(id(req), req.query);
    const pages = await members.stream(id(req));
    reply.header('content-type', 'text/csv; charset=utf-8');
    reply.header('content-disposition', `attachment; filename="cohort-${id(req)}-members.csv"`);
    async function* csv() {
      yield 'user_id\n';
      for await (const page of pages) yield page.map(csvCell).join('\n') + '\n';
    }
    return reply.send(Readable.from(csv()));
  });
  app.post('/v1/cohorts/:id/members', { ...admin, bodyLimit: 32 * 1024 * 1024 }, async (req) =>
    members.add(id(req), req.body, (req.headers['content-type'] ?? '').startsWith('text/csv')),
  );
  app.delete('/v1/cohorts/:id/members', admin, async (req) => members.remove(id(req), req.body));

  app.get('/2/cohorts', admin, async () => {
    const all = await cohorts.all();
    return { cohorts: all.sort((a, b) => a.name.localeCompare(b.name)).map(amplitudeCohort) };
  });
  app.get('/2/cohorts/:id', admin, async (req) => amplitudeCohort(await cohorts.get(id(req))));
}
