import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useApi } from '../auth/session';
import type { CollaboratorRole } from '../../schemas/principal';
import type { Collaborator } from '../../schemas/cohort';

/** Cohort collaborators (docs/TEAMS.md, "Collaborators"); the account list is in accounts.ts. */
export type { Collaborator };

const list = <T,>(v: T[] | { items: T[] }): T[] => (Array.isArray(v) ? v : v.items);
const key = (cohortId: string) => ['cohort', cohortId, 'collaborators'] as const;

export function useCollaborators(cohortId: string) {
  const api = useApi();
  return useQuery({
    queryKey: key(cohortId),
    queryFn: async ({ signal }) =>
      list(await api.get<Collaborator[] | { items: Collaborator[] }>(`/v1/cohorts/${cohortId}/collaborators`, undefined, signal)),
  });
}

function useInvalidate(cohortId: string) {
  const qc = useQueryClient();
  return () => {
    void qc.invalidateQueries({ queryKey: key(cohortId) });
    // The cohort JSON carries its collaborators too.
    void qc.invalidateQueries({ queryKey: ['cohort', cohortId], exact: true });
  };
}

/** Invites an account, or changes the role of one already invited. */
export function useSetCollaborator(cohortId: string) {
  const api = useApi();
  const invalidate = useInvalidate(cohortId);
  return useMutation({
    mutationFn: ({ accountId, role }: { accountId: string; role: CollaboratorRole }) =>
      api.request<Collaborator>(`/v1/cohorts/${cohortId}/collaborators/${encodeURIComponent(accountId)}`, { method: 'PUT', body: { role } }),
    onSuccess: invalidate,
  });
}

export function useRemoveCollaborator(cohortId: string) {
  const api = useApi();
  const invalidate = useInvalidate(cohortId);
  return useMutation({
    mutationFn: (accountId: string) => api.delete(`/v1/cohorts/${cohortId}/collaborators/${encodeURIComponent(accountId)}`),
    onSuccess: invalidate,
  });
}
