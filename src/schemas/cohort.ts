import { z } from 'zod';
import { collaboratorRoleSchema, type CollaboratorRole } from './principal.js';

/**
 * API bodies and queries of the cohort routes (api.md, Cohorts). The
 * definition itself is validated by `parseDefinition` (schemas/definition.ts)
 * so its messages can name the rule at fault.
 */
export const COHORT_STATUSES = ['draft', 'active', 'archived'] as const;
export const COHORT_KINDS = ['dynamic', 'static'] as const;
export const REFRESH_MODES = ['manual', 'hourly', 'daily'] as const;

const name = z.string().trim().min(1, 'name must not be empty').max(200, 'name must be at most 200 characters');
const tags = z
  .array(z.string().trim().min(1, 'a tag must not be empty').max(50, 'a tag must be at most 50 characters'))
  .max(20, 'at most 20 tags')
  .transform((t) => [...new Set(t)]);
const instant = z.iso.datetime({ offset: true, message: 'must be an ISO-8601 date-time' }).or(z.iso.date({ message: 'must be an ISO-8601 date' }));

const accountId = z.string().trim().min(1, 'accountId must not be empty').max(100, 'accountId must be at most 100 characters');

/** `PUT /v1/cohorts/:id/collaborators/:accountId` (docs/TEAMS.md, Collaborators). */
export const putCollaboratorSchema = z.strictObject({ role: collaboratorRoleSchema });

/** Collaborators invited while creating a cohort; each account at most once. */
export const collaboratorInvitesSchema = z
  .array(z.strictObject({ accountId, role: collaboratorRoleSchema }))
  .max(100, 'at most 100 collaborators')
  .superRefine((list, ctx) => {
    const seen = new Set<string>();
    list.forEach((c, i) => {
      if (seen.has(c.accountId)) ctx.addIssue({ code: 'custom', path: [i, 'accountId'], message: 'this account is listed twice' });
      seen.add(c.accountId);
    });
  });
export type CollaboratorInvite = z.infer<typeof collaboratorInvitesSchema>[number];

export const createCohortSchema = z.strictObject({
  name,
  description: z.string().max(2000, 'description must be at most 2000 characters').default(''),
  kind: z.enum(COHORT_KINDS).default('dynamic'),
  definition: z.unknown().optional(),
  tags: tags.default([]),
  status: z.enum(COHORT_STATUSES).default('active'),
  refresh: z.enum(REFRESH_MODES).default('daily'),
  collaborators: collaboratorInvitesSchema.default([]),
});

export const patchCohortSchema = z.strictObject({
  name: name.optional(),
  description: z.string().max(2000).optional(),
  definition: z.unknown().optional(),
  tags: tags.optional(),
  status: z.enum(COHORT_STATUSES).optional(),
  refresh: z.enum(REFRESH_MODES).optional(),
});

export const COHORT_SORTS = ['name', 'createdAt', 'updatedAt', 'size'] as const;
export const listCohortsQuerySchema = z.object({
  q: z.string().max(200).optional(),
  status: z.enum(COHORT_STATUSES).optional(),
  tag: z.string().max(50).optional(),
  /** `exclude` leaves archived cohorts out (the web list's default); no effect with `status`. */
  archived: z.enum(['include', 'exclude'], { message: 'must be include or exclude' }).default('include'),
  createdFrom: instant.optional(),
  createdTo: instant.optional(),
  sort: z.enum(COHORT_SORTS).default('updatedAt'),
  order: z.enum(['asc', 'desc']).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(500).optional(),
  /** Only cohorts owned by the caller (made with the admin token: ownerless ones). */
  mine: z.enum(['true', 'false'], { message: 'must be true or false' }).transform((v) => v === 'true').optional(),
});

export const previewSchema = z.strictObject({
  definition: z.unknown(),
  asOf: instant.optional(),
  sampleSize: z.number().int().min(0).max(1000).default(20),
});

export const membersQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(10_000).default(100),
  /** Keeps user ids containing this text, in any case. */
  q: z.string().trim().min(1).max(200).optional(),
  cursor: z.string().max(200).optional(),
});

export const memberIdsSchema = z.strictObject({
  userIds: z.array(z.unknown()).min(1, 'userIds must list at least one id').max(100_000, 'at most 100,000 ids per request'),
});

export type CreateCohortBody = z.infer<typeof createCohortSchema>;
export type PatchCohortBody = z.infer<typeof patchCohortSchema>;
export type ListCohortsQuery = z.infer<typeof listCohortsQuerySchema>;
export type CohortStatus = (typeof COHORT_STATUSES)[number];
export type CohortKind = (typeof COHORT_KINDS)[number];
export type RefreshMode = (typeof REFRESH_MODES)[number];

/** A cohort collaborator as the API shows it. */
export interface Collaborator {
  accountId: string;
  email: string;
  name: string;
  role: CollaboratorRole;
}

/** A cohort as the API returns it (`collaborators` is added by the HTTP layer, not stored). */
export interface Cohort {
  id: string;
  name: string;
  description: string;
  kind: CohortKind;
  definition: unknown | null;
  status: CohortStatus;
  tags: string[];
  size: number;
  computedAt: string | null;
  refresh: RefreshMode;
  calculation: { state: 'idle' | 'running' | 'failed'; lastError: string | null; lastDurationMs: number | null };
  createdAt: string;
  updatedAt: string;
  /** The account that made it; null when made with the admin token (or before accounts existed). */
  ownerId: string | null;
  collaborators?: Collaborator[];
  /** Workflow steps with their card counts, when the cohort has any (added by the HTTP layer). */
  steps?: { id: string; name: string; cardCount: number }[];
}
