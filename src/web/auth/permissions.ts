import { createContext, useContext } from 'react';
import { atLeast, ROLES, type Role } from '../../schemas/principal';
import type { Account, Me } from '../api/accounts';

/** Why a control is off, in the words its tooltip shows. */
export const REASONS = {
  write: 'Viewers can look but not change anything. Ask an admin for the member role.',
  admin: 'Only admins and owners can do this.',
  cohort: 'Only the cohort\u2019s owner, its editors, admins and owners can change it.',
  cohortOwner: 'Only the cohort\u2019s owner, admins and owners can do this.',
  owners: 'Only owners can change an owner\u2019s account.',
} as const;

/** What the signed-in principal may do, as docs/TEAMS.md lays it out; the server decides in the end. */
export interface Permissions {
  me: Me;
  role: Role;
  /** member and up: create cohorts (and change the ones they own or edit). */
  canWrite: boolean;
  /** admin and up: destinations, every cohort and sync, the audit log. */
  canAdmin: boolean;
  /** admin and up: create, change, disable and delete accounts. */
  canManageAccounts: boolean;
  /** Admins may not touch owners; owners may touch anyone. */
  canManageAccount(target: Pick<Account, 'role'>): boolean;
  /** Roles this principal may hand out (admins cannot grant owner). */
  grantableRoles: Role[];
  /** Change, refresh, members, steps, syncs of a cohort. */
  canEditCohort(c: CohortAccess): boolean;
  /** Delete a cohort, manage its collaborators. */
  canOwnCohort(c: CohortAccess): boolean;
}

/** The parts of a cohort that decide access (fields added by the teams work). */
export interface CohortAccess {
  ownerId?: string | null;
  collaborators?: { accountId: string; role: 'editor' | 'viewer' }[];
}

export function permissionsOf(me: Me): Permissions {
  const role = me.role;
  const canAdmin = atLeast(role, 'admin');
  const accountId = me.account?.id ?? null;
  const isCohortOwner = (c: CohortAccess) => canAdmin || (atLeast(role, 'member') && accountId !== null && c.ownerId === accountId);
  return {
    me,
    role,
    canWrite: atLeast(role, 'member'),
    canAdmin,
    canManageAccounts: canAdmin,
    canManageAccount: (target) => role === 'owner' || (canAdmin && target.role !== 'owner'),
    grantableRoles: role === 'owner' ? [...ROLES] : canAdmin ? ROLES.filter((r) => r !== 'owner') : [],
    canOwnCohort: isCohortOwner,
    canEditCohort: (c) =>
      isCohortOwner(c) ||
      (atLeast(role, 'member') && (c.collaborators ?? []).some((x) => x.accountId === accountId && x.role === 'editor')),
  };
}

/** Filled by AccountGate once GET /v1/me has answered. */
export const MeContext = createContext<Me | null>(null);

export function useCan(): Permissions {
  const me = useContext(MeContext);
  if (!me) throw new Error('useCan outside AccountGate');
  return permissionsOf(me);
}

export const ROLE_LABELS: Record<Role, string> = { viewer: 'Viewer', member: 'Member', admin: 'Admin', owner: 'Owner' };
