import { z } from 'zod';
import type { Account, ApiTokenInfo, AuditEntry } from '../schemas/accounts.js';
import type { FunnelResponse, RetentionResponse, SegmentationResponse } from '../schemas/analytics.js';
import type { CohortDiff, Explained, Explanation } from '../schemas/cohort-insight.js';
import { COHORT_KINDS, COHORT_STATUSES, REFRESH_MODES, type Cohort } from '../schemas/cohort.js';
import type { ContactsPage } from '../schemas/contacts.js';
import { destinationTypeSchema, type presentDestination } from '../schemas/destination.js';
import { RUN_STATUSES, SYNC_STATES, type presentRun, type presentSync } from '../schemas/sync.js';
import { roleSchema } from '../schemas/principal.js';
import { EXECUTION_STATUSES, type ActionExecution, type Card } from '../schemas/workflow.js';
import type { AccountService } from '../services/accounts/account-service.js';
import type { AuditService } from '../services/accounts/audit.js';
import type { CreatedToken, LoginResult } from '../services/accounts/credentials.js';
import type { MembersService } from '../services/cohorts/cohort-members.js';
import type { CohortService } from '../services/cohorts/cohort-service.js';
import type { EventsService } from '../services/events.js';
import type { SyncService } from '../services/syncs/sync-service.js';
import type { WorkflowService } from '../services/workflows/workflow-service.js';

/**
 * Success bodies of the API's routes (api.md), for the OpenAPI document only:
 * replies are serialized as they are (route-validation.ts). Each schema is
 * checked at compile time against the type the service or presenter really
 * returns (`agrees`), so a field added, removed or retyped on either side
 * fails `tsc` instead of drifting silently.
 */

/** Compile-time: the schema's output and T are assignable both ways. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
function agrees<T>() {
  return <S extends z.ZodType>(schema: S, ..._check: Same<z.output<S>, T> extends true ? [] : ['the schema differs from the type it documents']): S => schema;
}
type Out<F extends (...args: never[]) => unknown> = Awaited<ReturnType<F>>;

const iso = z.string().describe('ISO-8601 date-time (UTC)');
const props = z.record(z.string(), z.unknown());
const cursor = z.string().nullable().describe('Pass as `cursor` for the next page; null on the last page');

// ------------------------------------------------------------ ingestion

export const segmentAnswer = z.object({
  success: z.literal(true),
  stored: z.number().int().describe('Events (or trait changes) stored by this request'),
  duplicates: z.number().int().describe('Events with an already-seen messageId, accepted and not stored twice'),
}).meta({ id: 'SegmentAnswer' });

export const amplitudeAnswer = z.object({
  code: z.literal(200),
  events_ingested: z.number().int(),
  payload_size_bytes: z.number().int(),
  server_upload_time: z.number().int().describe('ms since epoch'),
}).meta({ id: 'AmplitudeAnswer' });

export const amplitudeErrorAnswer = z.object({
  code: z.number().int(),
  error: z.string(),
  missing_field: z.string().optional(),
  events_with_invalid_fields: z.record(z.string(), z.array(z.number().int())).optional(),
  events_with_missing_fields: z.record(z.string(), z.array(z.number().int())).optional(),
  details: z.unknown().optional().describe("Kohort's own [{ index, field, message }]"),
}).meta({ id: 'AmplitudeError' });

// ------------------------------------------------------------ events and users

const eventJson = z.object({ userId: z.string(), event: z.string(), timestamp: iso, properties: props, receivedAt: iso });

export const eventTypes = agrees<Out<EventsService['eventTypes']>>()(z.array(z.object({
  name: z.string(),
  predefined: z.boolean(),
  description: z.string().optional(),
  count: z.number().int(),
  lastSeen: iso.nullable(),
  properties: z.array(z.object({ name: z.string(), type: z.string() })),
})));
export const liveEvents = agrees<Out<EventsService['live']>>()(z.object({ items: z.array(eventJson) }));
export const propertyValues = agrees<Out<EventsService['propertyValues']>>()(z.object({ items: z.array(z.object({ value: z.string(), count: z.number().int() })) }));
export const traits = agrees<Out<EventsService['traits']>>()(z.object({ items: z.array(z.object({ name: z.string(), type: z.string(), count: z.number().int() })) }));

const contactCohort = z.object({ id: z.string(), name: z.string(), stepId: z.string().nullable(), stepName: z.string().nullable() });
export const contactsPage = agrees<ContactsPage>()(z.object({
  items: z.array(z.object({
    userId: z.string(), properties: props, firstSeen: iso.nullable(), lastSeen: iso.nullable(), eventCount: z.number().int(), cohorts: z.array(contactCohort),
  })),
  nextCursor: cursor,
  total: z.number().int().optional().describe('How many contacts match (first page only)'),
}));

// ------------------------------------------------------------ cohorts

export const cohortSchema = agrees<Cohort>()(z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  kind: z.enum(COHORT_KINDS),
  definition: z.unknown().nullable().describe('The definition (docs/COHORT-LANGUAGE.md); null for static cohorts'),
  status: z.enum(COHORT_STATUSES),
  tags: z.array(z.string()),
  size: z.number().int(),
  computedAt: iso.nullable(),
  refresh: z.enum(REFRESH_MODES),
  calculation: z.object({ state: z.enum(['idle', 'running', 'failed']), lastError: z.string().nullable(), lastDurationMs: z.number().nullable() }),
  createdAt: iso,
  updatedAt: iso,
  ownerId: z.string().nullable(),
  collaborators: z.array(z.object({ accountId: z.string(), email: z.string(), name: z.string(), role: z.enum(['viewer', 'editor']) })).optional(),
  steps: z.array(z.object({ id: z.string(), name: z.string(), cardCount: z.number().int() })).optional(),
}).meta({ id: 'Cohort' }));

export const cohortPage = z.object({ items: z.array(cohortSchema), nextCursor: cursor });
export const preview = agrees<Out<CohortService['preview']>>()(z.object({
  size: z.number().int(), sample: z.array(z.string()), asOf: iso, tookMs: z.number(),
}));
export const history = agrees<Out<CohortService['history']>>()(z.array(z.object({
  computedAt: iso, size: z.number().int(), entered: z.number().int(), exited: z.number().int(), durationMs: z.number(),
})));
export const membersPage = agrees<Out<MembersService['page']>>()(z.object({ items: z.array(z.string()), nextCursor: cursor }));
export const membersAdded = agrees<Out<MembersService['add']>>()(z.object({
  added: z.number().int(), alreadyMember: z.number().int(), invalid: z.array(z.object({ line: z.number().int(), message: z.string() })),
}));
export const membersRemoved = agrees<Out<MembersService['remove']>>()(z.object({ removed: z.number().int() }));

const amplitudeCohort = z.object({ id: z.string(), name: z.string(), size: z.number().int(), lastComputed: iso.nullable(), description: z.string() });
export const amplitudeCohortList = z.object({ cohorts: z.array(amplitudeCohort) });
export const amplitudeCohortOne = amplitudeCohort;

const explainedEvent = z.object({ event: z.string(), timestamp: iso, properties: props });
export const explainedSchema: z.ZodType<Explained> = z.lazy(() => z.object({
  path: z.string().describe('e.g. rules[0].rules[1]'),
  type: z.string(),
  result: z.boolean().describe("The rule's set membership after its negate, as the evaluation used it"),
  negate: z.boolean(),
  count: z.number().int().optional(),
  aggregate: z.object({ fn: z.string(), property: z.string(), value: z.number().nullable() }).optional(),
  events: z.array(explainedEvent).optional().describe('Up to 10 matching events'),
  value: z.string().nullable().optional(),
  cohortId: z.string().optional(),
  rules: z.array(explainedSchema).optional(),
})).meta({ id: 'Explained' });
export const explanation = agrees<Explanation>()(z.object({ userId: z.string(), asOf: iso, member: z.boolean(), rules: z.array(explainedSchema) }));
export const cohortDiff = agrees<CohortDiff>()(z.object({
  current: z.number().int(),
  proposed: z.number().int(),
  added: z.number().int(),
  removed: z.number().int(),
  sampleAdded: z.array(z.string()),
  sampleRemoved: z.array(z.string()),
  syncs: z.array(z.object({ syncId: z.string(), destinationId: z.string(), wouldAdd: z.number().int(), wouldRemove: z.number().int() })),
  asOf: iso,
}));

// ------------------------------------------------------------ workflows

const stepSchema = z.object({
  id: z.string(), name: z.string(), position: z.number().int(),
  action: z.looseObject({ type: z.string() }).nullable().describe('The step action (webhook secrets shown as ••••)'),
  cardCount: z.number().int(),
});
export const steps = z.array(stepSchema);
const cardSchema = agrees<Card>()(z.object({ userId: z.string(), stepId: z.string(), movedAt: iso, movedBy: z.string().nullable() }));
export const card = cardSchema;
export const board = z.object({ steps: z.array(stepSchema), items: z.array(cardSchema), nextCursor: cursor });
export const actionsPage = agrees<Out<WorkflowService['actions']>>()(z.object({
  items: z.array(agrees<ActionExecution>()(z.object({
    id: z.string(), cohortId: z.string(), stepId: z.string(), stepName: z.string(), userId: z.string(),
    type: z.enum(['webhook', 'set_property', 'add_to_cohort', 'run_sync']),
    status: z.enum(EXECUTION_STATUSES), attempts: z.number().int(), lastError: z.string().nullable(),
    createdAt: iso, finishedAt: iso.nullable(), nextAttemptAt: iso.nullable(),
    attemptLog: z.array(z.object({ at: iso, ok: z.boolean(), error: z.string().nullable() })),
  }))),
  nextCursor: cursor,
}));

// ------------------------------------------------------------ destinations and syncs

export const destination = agrees<ReturnType<typeof presentDestination>>()(z.object({
  id: z.string(),
  name: z.string(),
  type: destinationTypeSchema,
  config: props.describe('As set; secrets shown as "••••" (and credentials in URLs masked for non-admins)'),
  createdAt: iso,
  updatedAt: iso,
  generatedSecret: z.string().optional().describe('A generated webhook secret, shown once in the create answer'),
}).meta({ id: 'Destination' }));
export const destinationTest = agrees<Out<SyncService['testDestination']>>()(z.object({ ok: z.boolean(), message: z.string() }));

export const syncRun = agrees<ReturnType<typeof presentRun>>()(z.object({
  id: z.string(),
  startedAt: iso,
  finishedAt: iso.nullable(),
  status: z.enum(RUN_STATUSES),
  full: z.boolean(),
  trigger: z.enum(['schedule', 'manual']),
  added: z.number().int(),
  removed: z.number().int(),
  failed: z.number().int(),
  skipped: z.number().int(),
  requests: z.number().int(),
  retries: z.number().int(),
  errors: z.array(z.object({ at: iso, status: z.number().int().nullable(), message: z.string(), sampleUserIds: z.array(z.string()) })),
}).meta({ id: 'SyncRun' }));
export const syncSchema = agrees<ReturnType<typeof presentSync>>()(z.object({
  id: z.string(),
  cohortId: z.string(),
  destinationId: z.string(),
  frequency: z.enum(['once', 'hourly', 'daily']),
  batchSize: z.number().int(),
  paused: z.boolean(),
  pausedReason: z.enum(['user', 'auth_failed']).nullable(),
  state: z.enum(SYNC_STATES),
  lastRun: syncRun.nullable(),
  nextRunAt: iso.nullable(),
  createdAt: iso,
  updatedAt: iso,
}).meta({ id: 'Sync' }));
export const syncRuns = agrees<Out<SyncService['listRuns']>>()(z.array(syncRun));

// ------------------------------------------------------------ accounts and audit

export const accountSchema = agrees<Account>()(z.object({
  id: z.string(), email: z.string(), name: z.string(), role: roleSchema,
  disabled: z.boolean(), createdAt: iso, updatedAt: iso, lastLoginAt: iso.nullable(),
}).meta({ id: 'Account' }));
export const login = agrees<LoginResult>()(z.object({ token: z.string().describe('Session token, as Bearer'), expiresAt: iso, account: accountSchema }));
export const me = agrees<Out<AccountService['me']>>()(z.object({
  account: accountSchema.nullable().describe('null with the admin token'),
  role: roleSchema,
  via: z.enum(['admin_token', 'session', 'api_token']),
}));
export const tokenInfo = agrees<ApiTokenInfo>()(z.object({ id: z.string(), name: z.string(), createdAt: iso, lastUsedAt: iso.nullable() }).meta({ id: 'Token' }));
export const createdToken = agrees<CreatedToken>()(z.object({ id: z.string(), name: z.string(), createdAt: iso, token: z.string().describe('Shown once') }));
const auditEntry = agrees<AuditEntry>()(z.object({
  id: z.string(),
  at: iso,
  actor: z.object({ accountId: z.string().nullable(), email: z.string().nullable(), via: z.enum(['admin_token', 'session', 'api_token']) }),
  action: z.string(),
  resourceType: z.string(),
  resourceId: z.string().nullable(),
  summary: z.string(),
}).meta({ id: 'AuditEntry' }));
export const auditPage = agrees<Out<AuditService['list']>>()(z.object({ items: z.array(auditEntry), nextCursor: cursor }));

// ------------------------------------------------------------ analytics

const seriesHead = { segment: z.unknown().describe('The segment as asked: { all: true }, { cohortId, negate? } or { definition, name? }'), label: z.string() };
export const segmentation = z.object({
  asOf: iso, buckets: z.array(z.string()), series: z.array(z.object({ ...seriesHead, values: z.array(z.number().nullable()) })),
});
export const funnel = z.object({
  asOf: iso, series: z.array(z.object({ ...seriesHead, steps: z.array(z.object({ event: z.string(), users: z.number().int() })) })),
});
export const retention = z.object({
  asOf: iso, series: z.array(z.object({ ...seriesHead, users: z.number().int(), retained: z.array(z.number().int()) })),
});
// segment is typed loosely above (the request's union is documented on the request); the rest must agree.
type WithoutSegment<T extends { series: { segment: unknown }[] }> = Omit<T, 'series'> & { series: (Omit<T['series'][number], 'segment'> & { segment: unknown })[] };
agrees<WithoutSegment<SegmentationResponse>>()(segmentation);
agrees<WithoutSegment<FunnelResponse>>()(funnel);
agrees<WithoutSegment<RetentionResponse>>()(retention);

export const healthz = z.object({ ok: z.literal(true), version: z.string() });
