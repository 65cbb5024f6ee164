import { z } from 'zod';

/** Roles, lowest to highest (docs/TEAMS.md). */
export const ROLES = ['viewer', 'member', 'admin', 'owner'] as const;
export const roleSchema = z.enum(ROLES);
export type Role = z.infer<typeof roleSchema>;

export const roleRank = (r: Role): number => ROLES.indexOf(r);
export const atLeast = (r: Role, min: Role): boolean => roleRank(r) >= roleRank(min);

/** Who is making a request: an account (session or personal token), or the bootstrap admin token. */
export interface Principal {
  accountId: string | null;
  email: string | null;
  name: string | null;
  role: Role;
  via: 'admin_token' | 'session' | 'api_token';
}

export const BOOTSTRAP_PRINCIPAL: Principal = { accountId: null, email: null, name: null, role: 'owner', via: 'admin_token' };

export const collaboratorRoleSchema = z.enum(['editor', 'viewer']);
export type CollaboratorRole = z.infer<typeof collaboratorRoleSchema>;

/** What a principal may do with one cohort; 'none' is answered as 404. */
export type CohortAccessLevel = 'none' | 'read' | 'edit' | 'owner';
