import { Readable, pipeline } from 'node:stream';
import { stringify } from 'csv-stringify';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Account } from '../schemas/accounts.js';
import type { Cohort } from '../schemas/cohort.js';
import { CSV_OPTIONS, traitCell } from '../schemas/csv.js';
import type { Access } from '../services/accounts/access-port.js';
import type { CohortExports } from '../services/cohorts/cohort-exports.js';
import type { Authenticator } from './auth.js';
import { SECURITY, errorResponses } from './openapi-shapes.js';

export interface AmplitudeCohortRouteDeps {
  cohorts: { all(): Promise<Cohort[]> };
  exports: CohortExports;
  accounts: { getAccount(id: string): Promise<Account | null> };
  auth: Authenticator;
  access: Access;
}


const ms = (iso: string | null) => (iso ? Date.parse(iso) : null);

const tag = 'Amplitude cohort API';
const security = SECURITY.adminOrBasic;
const cohortSummary = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  size: z.number().int(),
  lastComputed: z.number().int().nullable().describe('ms since epoch'),
  archived: z.boolean(),
  type: z.enum(['dynamic', 'static']),
  owners: z.array(z.string()).describe('emails of the owning account'),
  createdAt: z.number().int().describe('ms since epoch'),
});
const requestBody = z.object({ request_id: z.string(), cohort_id: z.string() });
const statusBody = requestBody.extend({
  async_status: z.enum(['JOB INPROGRESS', 'JOB COMPLETED', 'JOB FAILED']),
  error: z.string().optional(),
});

/**
 * Amplitude's cohort API for tools written against it (api.md): the cohort
 * list and the async members download, with the admin token or a personal
 * API token as Bearer or Basic base64(token + ":").
 */
export function registerAmplitudeCohortRoutes(app: FastifyInstance, deps: AmplitudeCohortRouteDeps): void {
  const { cohorts, exports, accounts, auth, access } = deps;
  const r = app.withTypeProvider<ZodTypeProvider>();
  const preHandler = auth.management({ allowBasic: true });

  async function ownerEmails(ids: (string | null)[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const id of new Set(ids)) {
      const a = id ? await accounts.getAccount(id) : null;
      if (a) out.set(a.id, a.email);
    }
    return out;
  }

  r.get('/api/3/cohorts', {
    preHandler,
    schema: { tags: [tag], summary: 'Cohorts the caller can see', security, response: { 200: z.object({ cohorts: z.array(cohortSummary) }), ...errorResponses(401) } },
  }, async (req: FastifyRequest) => {
    const visible = await access.visibleCohorts(req.principal);
    const list = (await cohorts.all()).filter((c) => visible === 'all' || visible.has(c.id)).sort((a, b) => a.name.localeCompare(b.name));
    const emails = await ownerEmails(list.map((c) => c.ownerId ?? null));
    return {
      cohorts: list.map((c) => ({
        id: c.id,
        name: c.name,
        description: c.description,
        size: c.size,
        lastComputed: ms(c.computedAt),
        archived: c.status === 'archived',
        type: c.kind,
        owners: c.ownerId && emails.has(c.ownerId) ? [emails.get(c.ownerId)!] : [],
        createdAt: ms(c.createdAt)!,
      })),
    };
  });

  // One parameter name for both /request/:id routes: the router shares that path segment.
  r.get('/api/5/cohorts/request/:id', {
    preHandler,
    schema: {
      tags: [tag],
      summary: "Start an export of the cohort's members as of now",
      security,
      params: z.object({ id: z.string().min(1).describe('the cohort id') }),
      querystring: z.object({ props: z.enum(['0', '1']).default('0').describe('1: one column per trait') }),
      response: { 202: requestBody, ...errorResponses(400, 401, 404) },
    },
  }, async (req, reply) => reply.status(202).send(await exports.request(req.principal, req.params.id, req.query.props === '1')));

  r.get('/api/5/cohorts/request-status/:requestId', {
    preHandler,
    schema: {
      tags: [tag],
      summary: 'Whether an export is done',
      security,
      params: z.object({ requestId: z.string().min(1) }),
      response: { 200: statusBody.describe('JOB COMPLETED or JOB FAILED'), 202: statusBody.describe('JOB INPROGRESS'), ...errorResponses(401, 404) },
    },
  }, async (req, reply) => {
    const s = await exports.status(req.principal, req.params.requestId);
    return reply.status(s.async_status === 'JOB INPROGRESS' ? 202 : 200).send(s);
  });

  r.get('/api/5/cohorts/request/:id/file', {
    preHandler,
    schema: {
      tags: [tag],
      summary: 'The finished export as CSV: user_id, then one column per trait key with props=1 (JSON for non-scalar values)',
      security,
      params: z.object({ id: z.string().min(1).describe('the request_id') }),
      response: { 200: z.string().describe('text/csv'), ...errorResponses(401, 404, 409) },
    },
  }, async (req, reply) => {
    const f = await exports.file(req.principal, req.params.id);
    const csv = stringify({ ...CSV_OPTIONS });
    async function* lines() {
      yield ['user_id', ...f.traitKeys];
      for await (const page of f.rows) {
        for (const row of page) yield [row.userId, ...f.traitKeys.map((k) => traitCell(row.traits[k]))];
      }
    }
    // A failure mid-file aborts the response (a truncated file is never sent as complete).
    pipeline(Readable.from(lines()), csv, (err) => err && req.log.error({ err }, 'cohort export file failed'));
    reply.header('content-type', 'text/csv; charset=utf-8');
    reply.header('content-disposition', `attachment; filename="cohort-${f.export.cohortId}-${f.export.id}.csv"`);
    return reply.send(csv as unknown as string); // a stream: the 200 schema documents the CSV text
  });
}
