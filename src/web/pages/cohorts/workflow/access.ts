import { useCan } from '../../../auth/permissions';
import type { Cohort } from '../../../api/types';

/** The fields docs/TEAMS.md adds to a cohort's JSON (optional: a cohort listed before they existed lacks them). */
export interface CohortTeamFields {
  ownerId?: string | null;
  collaborators?: { accountId: string; email?: string; name?: string; role: 'editor' | 'viewer' }[];
  steps?: { id: string; name: string; cardCount: number }[];
}
export const teamFields = (c: Cohort): CohortTeamFields => c as Cohort & CohortTeamFields;

export interface CohortAccess {
  /** Change the cohort, its steps and members; move cards. */
  edit: boolean;
  /** Invite, change and remove collaborators. */
  manage: boolean;
}

/** What the signed-in principal may do with this cohort; only decides what to render, the server enforces it. */
export function useCohortAccess(cohort: Cohort): CohortAccess {
  const can = useCan();
  const team = teamFields(cohort);
  return { edit: can.canEditCohort(team), manage: can.canOwnCohort(team) };
}
