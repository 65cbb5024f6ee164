import type { Me } from '../../api/accounts';
import type { Cohort } from '../../api/types';

/**
 * Whether `me` may change this cohort's members (docs/TEAMS.md): admins and
 * owners any cohort, members the cohorts they own or edit, viewers none. The
 * server decides in the end; this only keeps impossible choices out of pickers.
 */
export function canChangeMembers(c: Pick<Cohort, 'ownerId' | 'collaborators'>, me: Me): boolean {
  if (me.role === 'owner' || me.role === 'admin') return true;
  if (me.role !== 'member' || !me.account) return false;
  const id = me.account.id;
  return c.ownerId === id || (c.collaborators ?? []).some((x) => x.accountId === id && x.role === 'editor');
}
