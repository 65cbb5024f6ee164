import { atLeast, type CohortAccessLevel, type Principal, type Role } from '../../schemas/principal.js';
import type { CollaboratorStore } from '../../storage/collaborator-store.js';
import { forbidden, notFound } from '../errors.js';
import type { Access } from './access-port.js';

/** Only what access needs to know about cohorts: who owns them. */
export interface CohortOwners {
  get(id: string): Promise<{ ownerId?: string | null } | undefined>;
  idsOwnedBy(accountId: string): Promise<string[]>;
}

export interface AccessDeps {
  cohorts: CohortOwners;
  collaborators: Pick<CollaboratorStore, 'get' | 'listForAccount'>;
}

const RANK: Record<CohortAccessLevel, number> = { none: 0, read: 1, edit: 2, owner: 3 };

/** Admins and owners of the instance see and change every cohort. */
const instanceWide = (p: Principal) => atLeast(p.role, 'admin');

/**
 * The role caps what a cohort grant gives: a viewer never changes anything,
 * even on a cohort it owns or edits as a collaborator.
 */
function capped(p: Principal, level: CohortAccessLevel): CohortAccessLevel {
  return level !== 'none' && !atLeast(p.role, 'member') ? 'read' : level;
}

const NEEDED: Record<Exclude<CohortAccessLevel, 'none'>, string> = {
  read: 'access to the cohort',
  edit: "the cohort's owner or an editor collaborator with the member role, or the admin role",
  owner: "the cohort's owner with the member role, or the admin role",
};

/** docs/TEAMS.md, Principals and roles: the one place that answers who may do what. */
export function createAccess(deps: AccessDeps): Access {
  async function cohortLevel(p: Principal, cohortId: string): Promise<CohortAccessLevel> {
    if (instanceWide(p)) return 'owner';
    if (!p.accountId) return 'none';
    const c = await deps.cohorts.get(cohortId);
    if (!c) return 'none';
    if (c.ownerId === p.accountId) return capped(p, 'owner');
    const collab = await deps.collaborators.get(cohortId, p.accountId);
    if (!collab) return 'none';
    return capped(p, collab.role === 'editor' ? 'edit' : 'read');
  }

  return {
    requireRole(p: Principal, min: Role, what: string) {
      if (!atLeast(p.role, min)) throw forbidden(`${what} needs the ${min} role or higher (you have ${p.role})`);
    },
    cohortLevel,
    async requireCohort(p, cohortId, min) {
      const level = await cohortLevel(p, cohortId);
      // An invisible cohort is answered like an unknown one, so ids do not leak.
      if (level === 'none') throw notFound('Cohort', cohortId);
      if (RANK[level] < RANK[min]) throw forbidden(`This needs ${NEEDED[min]} (you can ${level === 'read' ? 'only read it' : 'edit it'})`);
    },
    async visibleCohorts(p) {
      if (instanceWide(p)) return 'all';
      if (!p.accountId) return new Set();
      const ids = new Set((await deps.collaborators.listForAccount(p.accountId)).map((c) => c.cohortId));
      for (const id of await deps.cohorts.idsOwnedBy(p.accountId)) ids.add(id);
      return ids;
    },
  };
}
