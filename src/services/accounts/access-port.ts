import type { CohortAccessLevel, Principal, Role } from '../../schemas/principal.js';

/**
 * Authorization questions the other services ask (implemented in access.ts).
 * Throwing variants raise ServiceError 403 `forbidden` or 404 `not_found`.
 */
export interface Access {
  /** 403 unless the principal's role is at least `min`. */
  requireRole(p: Principal, min: Role, what: string): void;
  /** The principal's level on a cohort ('owner' for admins and owners of the instance). */
  cohortLevel(p: Principal, cohortId: string): Promise<CohortAccessLevel>;
  /** 404 when the cohort is invisible to p, 403 when visible but below `min`. */
  requireCohort(p: Principal, cohortId: string, min: Exclude<CohortAccessLevel, 'none'>): Promise<void>;
  /** Cohort ids p can see, or 'all'. */
  visibleCohorts(p: Principal): Promise<Set<string> | 'all'>;
}

export interface AuditEntryInput {
  actor: Principal;
  action: string;
  resourceType: string;
  resourceId: string | null;
  summary: string;
}

/** Records who changed what; never given secrets. */
export interface AuditLog {
  record(e: AuditEntryInput): Promise<void>;
}
