import { keepPreviousData, useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import type { Contact, ContactCohort, ContactsPage } from '../../schemas/contacts';
import type { Filter } from '../../schemas/definition';
import { useApi } from '../auth/session';
import type { MembersUploadResult } from './cohorts';

export type { Contact, ContactCohort, ContactsPage };

export interface ContactsParams {
  q?: string;
  /** Complete, valid filters only (the page keeps rows being edited out). */
  filters: Filter[];
  cohortId?: string;
  stepId?: string;
}

export const CONTACTS_PAGE_SIZE = 50;

export function useContacts(params: ContactsParams) {
  const api = useApi();
  const q = params.q?.trim() || undefined;
  const filters = params.filters.length ? JSON.stringify(params.filters) : undefined;
  return useInfiniteQuery({
    queryKey: ['contacts', { q, filters, cohortId: params.cohortId, stepId: params.stepId }],
    queryFn: ({ pageParam, signal }) =>
      api.get<ContactsPage>(
        '/v1/contacts',
        { q, filters, cohortId: params.cohortId, stepId: params.stepId, limit: CONTACTS_PAGE_SIZE, cursor: pageParam },
        signal,
      ),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    // Typing in the search box keeps the previous rows on screen until the new ones arrive.
    placeholderData: keepPreviousData,
  });
}

/** Adds users to a static cohort (`POST /v1/cohorts/:id/members { userIds }`). */
export function useAddContactsToCohort() {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ cohortId, userIds }: { cohortId: string; userIds: string[] }) =>
      api.post<MembersUploadResult>(`/v1/cohorts/${encodeURIComponent(cohortId)}/members`, { userIds }),
    onSuccess: (_r, { cohortId }) => {
      void qc.invalidateQueries({ queryKey: ['contacts'] });
      void qc.invalidateQueries({ queryKey: ['cohort', cohortId] });
      void qc.invalidateQueries({ queryKey: ['cohorts'] });
    },
  });
}
