import type { FastifySchema } from 'fastify';
import { z } from 'zod';
import { auditQuerySchema, createAccountSchema, createTokenSchema, loginSchema, patchAccountSchema, patchMeSchema } from '../schemas/accounts.js';
import { createCohortSchema, listCohortsQuerySchema, memberIdsSchema, membersQuerySchema, patchCohortSchema, previewSchema } from '../schemas/cohort.js';
import { contactsQuerySchema } from '../schemas/contacts.js';
import { createDestinationBodySchema, patchDestinationBodySchema } from '../schemas/destination.js';
import { aliasSchema, amplitudeEventSchema, batchItemSchema, identifySchema, liveQuerySchema, trackSchema } from '../schemas/events.js';
import { createSyncBodySchema, listSyncsQuerySchema, patchSyncBodySchema } from '../schemas/sync.js';
import { actionsQuerySchema, boardQuerySchema, moveCardBodySchema, putStepsBodySchema } from '../schemas/workflow.js';
import { errorResponses } from './openapi-shapes.js';
import { documented } from './route-validation.js';

/**
 * Schemas of the routes registered in the older route files, attached by the
 * onRoute hook (route-validation.ts) so those files stay as they are. Path
 * parameters are validated here; bodies and queries are documented here and
 * validated by the service with the very same zod schema (`documented`), which
 * keeps each route's own error messages. Routes written since declare their
 * schema inline (amplitude-cohort-routes.ts).
 */
const id = (what: string) => z.object({ id: z.string().min(1).describe(`the ${what} id`) });
const force = z.object({ force: z.enum(['true', 'false']).optional().describe('true: also delete what depends on it') });
const definitionDoc = z.unknown().describe('A cohort definition (docs/COHORT-LANGUAGE.md)');
const E = errorResponses;

const s = (summary: string, rest: Omit<FastifySchema, 'summary'> = {}): FastifySchema => ({ summary, ...rest });

export const ROUTE_SCHEMAS: Record<string, FastifySchema> = {
  // Ingestion (write key)
  'POST /v1/track': s('Segment Track', { body: documented(trackSchema), response: E(400, 401, 413) }),
  'POST /v1/identify': s('Segment Identify: set traits', { body: documented(identifySchema), response: E(400, 401, 413) }),
  'POST /v1/alias': s('Segment Alias: an anonymous id becomes a user', { body: documented(aliasSchema), response: E(400, 401, 413) }),
  'POST /v1/batch': s('Segment Batch', { body: documented(z.object({ batch: z.array(batchItemSchema) })), response: E(400, 401, 413) }),
  'POST /2/httpapi': s('Amplitude HTTP API v2', { body: documented(z.object({ api_key: z.string().optional(), events: z.array(amplitudeEventSchema) })), response: E(400, 413) }),

  // Events and users
  'GET /v1/event-types': s('Event names with counts, last seen and their properties'),
  'GET /v1/events/live': s('Latest events, newest first', { querystring: documented(liveQuerySchema), response: E(400, 401) }),
  'GET /v1/events/stream': s('Live events as Server-Sent Events (a browser may pass ?token=)', { querystring: documented(liveQuerySchema.omit({ limit: true })) }),
  'GET /v1/contacts': s('The contacts directory', { querystring: documented(contactsQuerySchema), response: E(400, 401) }),

  // Cohorts
  'POST /v1/cohorts/preview': s('Size and a sample of a definition, without saving', { body: documented(previewSchema.extend({ definition: definitionDoc })), response: E(400, 401) }),
  'POST /v1/cohorts': s('Create a cohort (computed before or soon after the answer)', { body: documented(createCohortSchema.extend({ definition: definitionDoc.optional() })), response: E(400, 401, 403) }),
  'GET /v1/cohorts': s('Cohorts you can see, filtered, sorted and paged', { querystring: documented(listCohortsQuerySchema), response: E(400, 401) }),
  'GET /v1/cohorts/:id': s('One cohort', { params: id('cohort'), response: E(401, 404) }),
  'PATCH /v1/cohorts/:id': s('Change a cohort', { params: id('cohort'), body: documented(patchCohortSchema.extend({ definition: definitionDoc.optional() })), response: E(400, 401, 403, 404) }),
  'DELETE /v1/cohorts/:id': s('Delete a cohort (409 while a sync uses it, unless force=true)', { params: id('cohort'), querystring: documented(force), response: E(401, 403, 404, 409) }),
  'POST /v1/cohorts/:id/refresh': s('Recompute now', { params: id('cohort'), response: E(401, 403, 404) }),
  'GET /v1/cohorts/:id/history': s('Computations, newest first', { params: id('cohort'), response: E(401, 404) }),
  'GET /v1/cohorts/:id/members': s('Members, paged; with Accept: text/csv the whole list as CSV', { params: id('cohort'), querystring: documented(membersQuerySchema), response: E(400, 401, 404) }),
  'POST /v1/cohorts/:id/members': s('Add members to a static cohort (JSON or a CSV body)', { params: id('cohort'), body: documented(memberIdsSchema), response: E(400, 401, 403, 404) }),
  'DELETE /v1/cohorts/:id/members': s('Remove members from a static cohort', { params: id('cohort'), body: documented(memberIdsSchema), response: E(400, 401, 403, 404) }),
  'GET /2/cohorts': s('Amplitude-style cohort list'),
  'GET /2/cohorts/:id': s('Amplitude-style cohort', { params: id('cohort'), response: E(401, 404) }),
  'GET /v1/cohorts/:id/steps': s('Workflow steps', { params: id('cohort'), response: E(401, 404) }),
  'PUT /v1/cohorts/:id/steps': s('Replace the workflow steps', { params: id('cohort'), body: documented(putStepsBodySchema), response: E(400, 401, 403, 404) }),
  'GET /v1/cohorts/:id/board': s('The board: cards per step', { params: id('cohort'), querystring: documented(boardQuerySchema), response: E(400, 401, 404) }),
  'POST /v1/cohorts/:id/cards/:userId/move': s("Move a member's card to a step", {
    params: z.object({ id: z.string().min(1), userId: z.string().min(1) }), body: documented(moveCardBodySchema), response: E(400, 401, 403, 404),
  }),
  'GET /v1/cohorts/:id/actions': s('Step-action executions', { params: id('cohort'), querystring: documented(actionsQuerySchema), response: E(400, 401, 404) }),

  // Destinations and syncs
  'POST /v1/destinations': s('Create a destination (admins)', { body: documented(createDestinationBodySchema), response: E(400, 401, 403) }),
  'GET /v1/destinations': s('Destinations (secrets shown as ••••)'),
  'GET /v1/destinations/:id': s('One destination', { params: id('destination'), response: E(401, 404) }),
  'PATCH /v1/destinations/:id': s('Change a destination (admins)', { params: id('destination'), body: documented(patchDestinationBodySchema), response: E(400, 401, 403, 404) }),
  'DELETE /v1/destinations/:id': s('Delete a destination (admins)', { params: id('destination'), querystring: documented(force), response: E(401, 403, 404, 409) }),
  'POST /v1/destinations/:id/test': s('Check the credentials and reachability', { params: id('destination'), response: E(401, 403, 404) }),
  'POST /v1/syncs': s('Create a sync (409 sync_exists for the same cohort and destination)', { body: documented(createSyncBodySchema), response: E(400, 401, 403, 404, 409) }),
  'GET /v1/syncs': s('Syncs of cohorts you can see', { querystring: documented(listSyncsQuerySchema), response: E(400, 401) }),
  'GET /v1/syncs/:id': s('One sync', { params: id('sync'), response: E(401, 404) }),
  'PATCH /v1/syncs/:id': s('Change a sync', { params: id('sync'), body: documented(patchSyncBodySchema), response: E(400, 401, 403, 404) }),
  'DELETE /v1/syncs/:id': s('Delete a sync', { params: id('sync'), response: E(401, 403, 404) }),
  'POST /v1/syncs/:id/run': s('Run now (202 with the run; 409 if one is running)', { params: id('sync'), response: E(401, 403, 404, 409) }),
  'GET /v1/syncs/:id/runs': s('Runs, newest first', { params: id('sync'), querystring: documented(z.object({ limit: z.coerce.number().int().min(1).max(1000).optional() })), response: E(401, 404) }),

  // Accounts
  'POST /v1/auth/login': s('Sign in: a session token', { body: documented(loginSchema), response: E(400, 401, 429) }),
  'POST /v1/auth/logout': s('End this session'),
  'GET /v1/me': s('Who you are'),
  'PATCH /v1/me': s('Change your name or password', { body: documented(patchMeSchema), response: E(400, 401) }),
  'GET /v1/me/tokens': s('Your personal API tokens (without secrets)'),
  'POST /v1/me/tokens': s('Create a personal API token (shown once)', { body: documented(createTokenSchema), response: E(400, 401, 403) }),
  'DELETE /v1/me/tokens/:id': s('Revoke a personal API token', { params: id('token'), response: E(401, 404) }),
  'GET /v1/accounts': s('Accounts'),
  'POST /v1/accounts': s('Create an account (admins)', { body: documented(createAccountSchema), response: E(400, 401, 403, 409) }),
  'GET /v1/accounts/:id': s('One account', { params: id('account'), response: E(401, 404) }),
  'PATCH /v1/accounts/:id': s('Change an account (admins)', { params: id('account'), body: documented(patchAccountSchema), response: E(400, 401, 403, 404, 409) }),
  'DELETE /v1/accounts/:id': s('Delete an account (admins)', { params: id('account'), response: E(401, 403, 404, 409) }),
  'GET /v1/audit': s('The audit log (admins and owners)', { querystring: documented(auditQuerySchema), response: E(400, 401, 403) }),
};
