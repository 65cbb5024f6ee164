import type { FastifySchema } from 'fastify';
import { z } from 'zod';
import { auditQuerySchema, createAccountSchema, createTokenSchema, loginSchema, patchAccountSchema, patchMeSchema } from '../schemas/accounts.js';
import { createCohortSchema, listCohortsQuerySchema, memberIdsSchema, membersQuerySchema, patchCohortSchema, previewSchema } from '../schemas/cohort.js';
import { contactsQuerySchema } from '../schemas/contacts.js';
import { membersCsvQuerySchema } from '../schemas/members-csv.js';
import { createDestinationBodySchema, patchDestinationBodySchema } from '../schemas/destination.js';
import { aliasSchema, amplitudeEventSchema, amplitudeIdentificationSchema, batchItemSchema, groupSchema, identifySchema, liveQuerySchema, pageSchema, trackSchema } from '../schemas/events.js';
import { funnelRequestSchema, retentionRequestSchema, segmentationRequestSchema } from '../schemas/analytics.js';
import { diffBodySchema, explainBodySchema, explainQuerySchema } from '../schemas/cohort-insight.js';
import { propertyValuesQuerySchema } from '../schemas/property-catalog.js';
import { createSyncBodySchema, listSyncsQuerySchema, patchSyncBodySchema } from '../schemas/sync.js';
import { actionsQuerySchema, boardQuerySchema, moveCardBodySchema, putStepsBodySchema } from '../schemas/workflow.js';
import { errorResponses } from './openapi-shapes.js';
import * as R from './openapi-responses.js';
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
/** A route's responses: its success (status and body) and its errors. */
const ok = (status: number, body: z.ZodType, ...errors: number[]) => ({ [status]: body, ...E(...errors) });
const gone = (what: string) => z.null().describe(what);
/** Amplitude's ingestion routes answer errors in Amplitude's shape (api.md, Ingestion). */
const amplitudeErrors = { 400: R.amplitudeErrorAnswer.describe('Invalid input or API key'), 413: R.amplitudeErrorAnswer.describe('Body too large'), 429: R.amplitudeErrorAnswer.describe('Too many requests') };
const amplitudeBody = z.object({ api_key: z.string().optional(), events: z.array(amplitudeEventSchema) });

const s = (summary: string, rest: Omit<FastifySchema, 'summary'> = {}): FastifySchema => ({ summary, ...rest });

export const ROUTE_SCHEMAS: Record<string, FastifySchema> = {
  // Ingestion (write key)
  'POST /v1/track': s('Segment Track', { body: documented(trackSchema), response: ok(200, R.segmentAnswer, 400, 401, 413) }),
  'POST /v1/identify': s('Segment Identify: set traits', { body: documented(identifySchema), response: ok(200, R.segmentAnswer, 400, 401, 413) }),
  'POST /v1/alias': s('Segment Alias: an anonymous id becomes a user', { body: documented(aliasSchema), response: ok(200, R.segmentAnswer, 400, 401, 413) }),
  'POST /v1/page': s('Segment Page: stored as an event named "page"', { body: documented(pageSchema), response: ok(200, R.segmentAnswer, 400, 401, 413) }),
  'POST /v1/screen': s('Segment Screen: stored as an event named "screen"', { body: documented(pageSchema), response: ok(200, R.segmentAnswer, 400, 401, 413) }),
  'POST /v1/group': s('Segment Group: sets the trait group to { id: groupId, ...traits }', { body: documented(groupSchema), response: ok(200, R.segmentAnswer, 400, 401, 413) }),
  'POST /v1/batch': s('Segment Batch', { body: documented(z.object({ batch: z.array(batchItemSchema) })), response: ok(200, R.segmentAnswer, 400, 401, 413) }),
  'POST /2/httpapi': s('Amplitude HTTP API v2', { body: documented(amplitudeBody), response: { 200: R.amplitudeAnswer, ...amplitudeErrors } }),
  'POST /batch': s('Amplitude Batch API (same body and answers as /2/httpapi)', { body: documented(amplitudeBody), response: { 200: R.amplitudeAnswer, ...amplitudeErrors } }),
  'POST /identify': s('Amplitude Identify API: form fields api_key and identification (a JSON object or array)', {
    body: documented(z.object({
      api_key: z.string().optional(),
      identification: z.string().describe(`JSON: one or a list of ${JSON.stringify(Object.keys(amplitudeIdentificationSchema.shape))} objects, each with user_id or device_id`),
    })),
    response: { 200: R.amplitudeAnswer, ...amplitudeErrors },
  }),

  // Events and users
  'GET /v1/event-types': s('Event names with counts, last seen and their properties', { response: ok(200, R.eventTypes, 401) }),
  'GET /v1/events/live': s('Latest events, newest first', { querystring: documented(liveQuerySchema), response: ok(200, R.liveEvents, 400, 401) }),
  'GET /v1/events/stream': s('Live events as Server-Sent Events (a browser authenticates by its session cookie)', {
    querystring: documented(liveQuerySchema.omit({ limit: true })),
    response: ok(200, z.string().describe('text/event-stream: each message\'s data is a JSON list of events shaped as in GET /v1/events/live'), 400, 401),
  }),
  'GET /v1/properties/values': s('Most frequent values of an event property (with event) or of a trait (without)', { querystring: documented(propertyValuesQuerySchema), response: ok(200, R.propertyValues, 400, 401) }),
  'GET /v1/traits': s('Trait names people have now, with their usual type and how many have them', { response: ok(200, R.traits, 401) }),
  'GET /v1/contacts': s('The contacts directory', { querystring: documented(contactsQuerySchema), response: ok(200, R.contactsPage, 400, 401) }),

  // Cohorts
  'POST /v1/cohorts/preview': s('Size and a sample of a definition, without saving', { body: documented(previewSchema.extend({ definition: definitionDoc })), response: ok(200, R.preview, 400, 401, 429, 503) }),
  'POST /v1/cohorts': s('Create a cohort (computed before or soon after the answer)', { body: documented(createCohortSchema.extend({ definition: definitionDoc.optional() })), response: ok(201, R.cohortSchema, 400, 401, 403) }),
  'GET /v1/cohorts': s('Cohorts you can see, filtered, sorted and paged', { querystring: documented(listCohortsQuerySchema), response: ok(200, R.cohortPage, 400, 401) }),
  'GET /v1/cohorts/:id': s('One cohort', { params: id('cohort'), response: ok(200, R.cohortSchema, 401, 404) }),
  'PATCH /v1/cohorts/:id': s('Change a cohort', { params: id('cohort'), body: documented(patchCohortSchema.extend({ definition: definitionDoc.optional() })), response: ok(200, R.cohortSchema, 400, 401, 403, 404) }),
  'DELETE /v1/cohorts/:id': s('Delete a cohort (409 while a sync uses it, unless force=true)', { params: id('cohort'), querystring: documented(force), response: ok(204, gone('Deleted'), 401, 403, 404, 409) }),
  'POST /v1/cohorts/:id/refresh': s('Recompute now', { params: id('cohort'), response: ok(200, R.cohortSchema, 401, 403, 404) }),
  'GET /v1/cohorts/:id/history': s('Computations, newest first', { params: id('cohort'), response: ok(200, R.history, 401, 404) }),
  'GET /v1/cohorts/:id/members': s('Members, paged; with Accept: text/csv the whole list as CSV (user_id, then one column per trait of ?traits=)', {
    params: id('cohort'), querystring: documented(membersQuerySchema.extend(membersCsvQuerySchema.shape)), response: ok(200, R.membersPage, 400, 401, 404),
  }),
  'POST /v1/cohorts/:id/members': s('Add members to a static cohort (JSON or a CSV body)', { params: id('cohort'), body: documented(memberIdsSchema), response: ok(200, R.membersAdded, 400, 401, 403, 404) }),
  'DELETE /v1/cohorts/:id/members': s('Remove members from a static cohort', { params: id('cohort'), body: documented(memberIdsSchema), response: ok(200, R.membersRemoved, 400, 401, 403, 404) }),
  'GET /v1/cohorts/:id/explain': s("Why a user is (not) in a saved cohort, rule by rule", { params: id('cohort'), querystring: documented(explainQuerySchema), response: ok(200, R.explanation, 400, 401, 404, 429, 503) }),
  'POST /v1/cohorts/explain': s('Why a user is (not) in an unsaved definition, rule by rule', { body: documented(explainBodySchema.extend({ definition: definitionDoc })), response: ok(200, R.explanation, 400, 401, 429, 503) }),
  'POST /v1/cohorts/:id/diff': s('What saving this definition would change, before saving', { params: id('cohort'), body: documented(diffBodySchema.extend({ definition: definitionDoc })), response: ok(200, R.cohortDiff, 400, 401, 403, 404, 429, 503) }),
  'GET /2/cohorts': s('Amplitude-style cohort list', { response: ok(200, R.amplitudeCohortList, 401) }),
  'GET /2/cohorts/:id': s('Amplitude-style cohort', { params: id('cohort'), response: ok(200, R.amplitudeCohortOne, 401, 404) }),
  'GET /v1/cohorts/:id/steps': s('Workflow steps', { params: id('cohort'), response: ok(200, R.steps, 401, 404) }),
  'PUT /v1/cohorts/:id/steps': s('Replace the workflow steps', { params: id('cohort'), body: documented(putStepsBodySchema), response: ok(200, R.steps, 400, 401, 403, 404) }),
  'GET /v1/cohorts/:id/board': s('The board: cards per step', { params: id('cohort'), querystring: documented(boardQuerySchema), response: ok(200, R.board, 400, 401, 404) }),
  'POST /v1/cohorts/:id/cards/:userId/move': s("Move a member's card to a step", {
    params: z.object({ id: z.string().min(1), userId: z.string().min(1) }), body: documented(moveCardBodySchema), response: ok(200, R.card, 400, 401, 403, 404),
  }),
  'GET /v1/cohorts/:id/actions': s('Step-action executions', { params: id('cohort'), querystring: documented(actionsQuerySchema), response: ok(200, R.actionsPage, 400, 401, 404) }),

  // Analytics (api.md and docs: segmentation, funnel, retention by cohort)
  'POST /v1/analytics/segmentation': s('Events over time per segment (uniques, totals or a property aggregate)', { body: documented(segmentationRequestSchema), response: ok(200, R.segmentation, 400, 401, 429, 503) }),
  'POST /v1/analytics/funnel': s('Users reaching each step, in order, per segment', { body: documented(funnelRequestSchema), response: ok(200, R.funnel, 400, 401, 429, 503) }),
  'POST /v1/analytics/retention': s('Users returning in each period after a start event, per segment', { body: documented(retentionRequestSchema), response: ok(200, R.retention, 400, 401, 429, 503) }),

  // Destinations and syncs
  'POST /v1/destinations': s('Create a destination (admins)', { body: documented(createDestinationBodySchema), response: ok(201, R.destination, 400, 401, 403) }),
  'GET /v1/destinations': s('Destinations (secrets shown as ••••)', { response: ok(200, z.array(R.destination), 401) }),
  'GET /v1/destinations/:id': s('One destination', { params: id('destination'), response: ok(200, R.destination, 401, 404) }),
  'PATCH /v1/destinations/:id': s('Change a destination (admins)', { params: id('destination'), body: documented(patchDestinationBodySchema), response: ok(200, R.destination, 400, 401, 403, 404) }),
  'DELETE /v1/destinations/:id': s('Delete a destination (admins)', { params: id('destination'), querystring: documented(force), response: ok(204, gone('Deleted'), 401, 403, 404, 409) }),
  'POST /v1/destinations/:id/test': s('Check the credentials and reachability', { params: id('destination'), response: ok(200, R.destinationTest, 401, 403, 404) }),
  'POST /v1/syncs': s('Create a sync (409 sync_exists for the same cohort and destination)', { body: documented(createSyncBodySchema), response: ok(201, R.syncSchema, 400, 401, 403, 404, 409) }),
  'GET /v1/syncs': s('Syncs of cohorts you can see', { querystring: documented(listSyncsQuerySchema), response: ok(200, z.array(R.syncSchema), 400, 401) }),
  'GET /v1/syncs/:id': s('One sync', { params: id('sync'), response: ok(200, R.syncSchema, 401, 404) }),
  'PATCH /v1/syncs/:id': s('Change a sync', { params: id('sync'), body: documented(patchSyncBodySchema), response: ok(200, R.syncSchema, 400, 401, 403, 404) }),
  'DELETE /v1/syncs/:id': s('Delete a sync', { params: id('sync'), response: ok(204, gone('Deleted'), 401, 403, 404) }),
  'POST /v1/syncs/:id/run': s('Run now (202 with the run; 409 if one is running)', { params: id('sync'), response: ok(202, R.syncRun, 401, 403, 404, 409) }),
  'GET /v1/syncs/:id/runs': s('Runs, newest first', { params: id('sync'), querystring: documented(z.object({ limit: z.coerce.number().int().min(1).max(1000).optional() })), response: ok(200, R.syncRuns, 401, 404) }),

  // Accounts
  'POST /v1/auth/login': s('Sign in: a session token', { body: documented(loginSchema), response: ok(200, R.login, 400, 401, 403, 429) }),
  'POST /v1/auth/logout': s('End this session', { response: ok(204, gone('Signed out'), 401) }),
  'GET /v1/me': s('Who you are', { response: ok(200, R.me, 401) }),
  'PATCH /v1/me': s('Change your name or password', { body: documented(patchMeSchema), response: ok(200, R.accountSchema, 400, 401) }),
  'GET /v1/me/tokens': s('Your personal API tokens (without secrets)', { response: ok(200, z.array(R.tokenInfo), 401) }),
  'POST /v1/me/tokens': s('Create a personal API token (shown once)', { body: documented(createTokenSchema), response: ok(201, R.createdToken, 400, 401, 403, 409) }),
  'DELETE /v1/me/tokens/:id': s('Revoke a personal API token', { params: id('token'), response: ok(204, gone('Revoked'), 401, 404) }),
  'GET /v1/accounts': s('Accounts', { response: ok(200, z.array(R.accountSchema), 401) }),
  'POST /v1/accounts': s('Create an account (admins)', { body: documented(createAccountSchema), response: ok(201, R.accountSchema, 400, 401, 403, 409) }),
  'GET /v1/accounts/:id': s('One account', { params: id('account'), response: ok(200, R.accountSchema, 401, 404) }),
  'PATCH /v1/accounts/:id': s('Change an account (admins)', { params: id('account'), body: documented(patchAccountSchema), response: ok(200, R.accountSchema, 400, 401, 403, 404, 409) }),
  'DELETE /v1/accounts/:id': s('Delete an account (admins)', { params: id('account'), response: ok(204, gone('Deleted'), 401, 403, 404, 409) }),
  'GET /v1/audit': s('The audit log (admins and owners)', { querystring: documented(auditQuerySchema), response: ok(200, R.auditPage, 400, 401, 403) }),

  // Declared inline (app.ts) but for the success answer.
  'GET /healthz': s('Liveness (no auth)', { response: ok(200, R.healthz) }),
};
