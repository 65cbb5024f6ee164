import { putCollaboratorSchema, type CollaboratorInvite, type Collaborator } from '../../schemas/cohort.js';
import type { CollaboratorRole } from '../../schemas/principal.js';
import type { CollaboratorStore } from '../../storage/collaborator-store.js';
import { invalidInput, notFound, zodIssues, type FieldIssue } from '../errors.js';

/** What collaborators need to know about accounts (the accounts service answers). */
export interface AccountDirectory {
  /** null when there is no such account. */
  find(accountId: string): Promise<{ id: string; email: string; name: string; disabled: boolean } | null>;
}

export interface CollaboratorServiceDeps {
  store: CollaboratorStore;
  accounts: AccountDirectory;
  now?: () => Date;
}

/**
 * Cohort collaborators (docs/TEAMS.md): invitees must be existing, enabled
 * accounts other than the cohort's owner. Who may invite is checked by the
 * routes through Access; this module keeps the list itself right.
 */
export function createCollaboratorService(deps: CollaboratorServiceDeps) {
  const { store, accounts } = deps;
  const now = deps.now ?? (() => new Date());

  /** Problems with each invitee, named by field (`prefix` + "accountId"). */
  async function inviteeIssues(accountId: string, ownerId: string | null, field: string): Promise<FieldIssue[]> {
    const a = await accounts.find(accountId);
    if (!a) return [{ field, message: `account "${accountId}" does not exist` }];
    if (a.disabled) return [{ field, message: `account "${accountId}" is disabled` }];
    if (a.id === ownerId) return [{ field, message: 'this account owns the cohort already' }];
    return [];
  }

  return {
    /** A cohort's collaborators with their current email and name; deleted accounts drop out. */
    async list(cohortId: string): Promise<Collaborator[]> {
      const out: Collaborator[] = [];
      for (const r of await store.listForCohort(cohortId)) {
        const a = await accounts.find(r.accountId);
        if (a) out.push({ accountId: a.id, email: a.email, name: a.name, role: r.role });
      }
      return out;
    },

    /** Invitees of a new cohort, checked before the cohort is made (400 naming each bad entry). */
    async check(list: CollaboratorInvite[], ownerId: string | null): Promise<void> {
      const issues: FieldIssue[] = [];
      for (const [i, c] of list.entries()) issues.push(...(await inviteeIssues(c.accountId, ownerId, `collaborators.${i}.accountId`)));
      if (issues.length) throw invalidInput('Invalid collaborators', issues);
    },

    async setInitial(cohortId: string, list: CollaboratorInvite[]): Promise<void> {
      await store.setMany(cohortId, list, now());
    },

    /** `PUT /v1/cohorts/:id/collaborators/:accountId`: invites, or changes the role. */
    async set(cohortId: string, ownerId: string | null, accountId: string, body: unknown): Promise<{ collaborator: Collaborator; previous: CollaboratorRole | null }> {
      const r = putCollaboratorSchema.safeParse(body ?? {});
      if (!r.success) throw invalidInput('Invalid collaborator', zodIssues(r.error.issues));
      const issues = await inviteeIssues(accountId, ownerId, 'accountId');
      if (issues.length) throw invalidInput(`Cannot invite ${JSON.stringify(accountId)}: ${issues[0].message}`, issues);
      const previous = (await store.get(cohortId, accountId))?.role ?? null;
      await store.set(cohortId, accountId, r.data.role, now());
      const a = (await accounts.find(accountId))!;
      return { collaborator: { accountId: a.id, email: a.email, name: a.name, role: r.data.role }, previous };
    },

    /** 404 when the account is not a collaborator of the cohort. */
    async remove(cohortId: string, accountId: string): Promise<void> {
      if (!(await store.remove(cohortId, accountId))) throw notFound('Collaborator', accountId);
    },

    removeCohort: (cohortId: string) => store.removeCohort(cohortId),
    removeAccount: (accountId: string) => store.removeAccount(accountId),
  };
}

export type CollaboratorService = ReturnType<typeof createCollaboratorService>;
