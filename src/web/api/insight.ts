import { useMutation, useQuery } from '@tanstack/react-query';
import { useApi } from '../auth/session';
import type { CohortDiff, Explanation } from '../../schemas/cohort-insight';
import type { Definition } from './definition';

export type { CohortDiff, Explained, ExplainedEvent, Explanation } from '../../schemas/cohort-insight';

/** Why a user is (not) in a saved cohort, as of now; loaded only when `enabled`. */
export function useExplainSaved(cohortId: string, userId: string, enabled: boolean) {
  const api = useApi();
  return useQuery({
    queryKey: ['cohort', cohortId, 'explain', userId],
    queryFn: ({ signal }) => api.get<Explanation>(`/v1/cohorts/${cohortId}/explain`, { userId }, signal),
    enabled,
    staleTime: 10_000,
  });
}

/** Why a user is (not) in an unsaved definition (the builder). */
export function useExplainDefinition() {
  const api = useApi();
  return useMutation({
    mutationFn: (body: { definition: Definition; userId: string }) => api.post<Explanation>('/v1/cohorts/explain', body),
  });
}

/** What saving `definition` on a cohort would change, before saving. */
export function useCohortDiff(cohortId: string) {
  const api = useApi();
  return useMutation({
    mutationFn: (definition: Definition) => api.post<CohortDiff>(`/v1/cohorts/${cohortId}/diff`, { definition }),
  });
}
