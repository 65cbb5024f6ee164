import type { CollaboratorRole } from '../schemas/principal.js';

export interface CollaboratorRow {
  cohortId: string;
  accountId: string;
  role: CollaboratorRole;
}

/** Who collaborates on which cohort, with which role (docs/TEAMS.md, Collaborators). */
export interface CollaboratorStore {
  /** A cohort's collaborators, in the order they were invited. */
  listForCohort(cohortId: string): Promise<CollaboratorRow[]>;
  /** The cohorts an account collaborates on. */
  listForAccount(accountId: string): Promise<CollaboratorRow[]>;
  get(cohortId: string, accountId: string): Promise<CollaboratorRow | undefined>;
  /** Invites, or changes the role of an existing collaborator. */
  set(cohortId: string, accountId: string, role: CollaboratorRole, at: Date): Promise<void>;
  /** Several at once, in one transaction (a new cohort's invitees). */
  setMany(cohortId: string, list: { accountId: string; role: CollaboratorRole }[], at: Date): Promise<void>;
  /** false when the account was not a collaborator. */
  remove(cohortId: string, accountId: string): Promise<boolean>;
  /** Every collaborator of a deleted cohort. */
  removeCohort(cohortId: string): Promise<void>;
  /** Every collaboration of a deleted account. */
  removeAccount(accountId: string): Promise<void>;
}
