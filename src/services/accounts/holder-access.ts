import { BOOTSTRAP_PRINCIPAL, type CohortAccessLevel, type Principal, type Role } from '../../schemas/principal.js';
import type { Access } from './access-port.js';

/** What holder access needs to know about accounts (the accounts service answers). */
export interface HolderDirectory {
  getAccount(id: string): Promise<{ id: string; email: string; name: string; role: Role } | null>;
}

/**
 * Who holds a saved thing (a cohort's owner, whoever saved a step action):
 * an account id, `"admin_token"` / null for the bootstrap token.
 */
export type Holder = string | null | undefined;

/**
 * Access checked when a saved thing is used, not only when it was saved
 * (api.md, Security rules): a cohort's references, a step action's target,
 * a sync's cohort are allowed only while their holder may still see them.
 */
export interface HolderAccess {
  /** The holder as a principal now; null when its account is gone. */
  principal(holder: Holder): Promise<Principal | null>;
  /** The holder's level on a cohort now ('none' when its account is gone). */
  level(holder: Holder, cohortId: string): Promise<CohortAccessLevel>;
  /**
   * Cohorts the holder sees now. A cohort whose owner account was deleted is
   * managed by admins (docs/TEAMS.md), so it keeps seeing everything.
   */
  visibleToOwner(owner: Holder): Promise<Set<string> | 'all'>;
}

export function createHolderAccess(access: Access, accounts: HolderDirectory): HolderAccess {
  async function principal(holder: Holder): Promise<Principal | null> {
    if (holder === null || holder === undefined || holder === 'admin_token') return BOOTSTRAP_PRINCIPAL;
    const a = await accounts.getAccount(holder);
    return a ? { accountId: a.id, email: a.email, name: a.name, role: a.role, via: 'session' } : null;
  }
  return {
    principal,
    async level(holder, cohortId) {
      const p = await principal(holder);
      return p ? access.cohortLevel(p, cohortId) : 'none';
    },
    async visibleToOwner(owner) {
      const p = await principal(owner);
      return p ? access.visibleCohorts(p) : 'all';
    },
  };
}
