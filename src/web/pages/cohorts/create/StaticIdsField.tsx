import { Alert, List, Textarea } from '@mantine/core';
import { useMutation, useQueryClient, type UseMutationResult } from '@tanstack/react-query';
import { useApi } from '../../../auth/session';
import type { MembersUploadResult } from '../../../api/cohorts';
import { errorMessage } from '../../../api/errors';
import { num } from '../../../components/format';

const MAX_LISTED = 20;

type Upload = UseMutationResult<MembersUploadResult, Error, { cohortId: string; userIds: string[] }>;

/** Adds the pasted ids to the static cohort the wizard has just created (the id is only known then). */
export function useWizardUpload(): Upload {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ cohortId, userIds }) =>
      api.request<MembersUploadResult>(`/v1/cohorts/${cohortId}/members`, { method: 'POST', body: { userIds } }),
    onSuccess: (_r, { cohortId }) => {
      void qc.invalidateQueries({ queryKey: ['cohort', cohortId] });
      void qc.invalidateQueries({ queryKey: ['cohorts'] });
    },
  });
}

/** The static list of step 1: user ids, one per line, sent once the cohort exists. */
export function StaticIdsField({ value, onChange, upload }: { value: string; onChange: (v: string) => void; upload: Upload }) {
  const r = upload.data;
  return (
    <>
      <Textarea label="User ids" description="One per line. Ids Kohort has never seen are reported, not added." autosize minRows={3} maxRows={10}
        value={value} onChange={(e) => onChange(e.currentTarget.value)} />
      {upload.isError && <Alert color="red" role="alert" title="Could not add the members">{errorMessage(upload.error)}</Alert>}
      {r && (
        <Alert color={r.invalid.length ? 'yellow' : 'green'} role="status" title="Members added">
          {num(r.added)} added, {num(r.alreadyMember)} already members
          {/* Line numbers count the non-empty lines sent, so the messages (which name the id) say enough. */}
          {r.invalid.length ? `, ${num(r.invalid.length)} not added (Continue to go on):` : '.'}
          {r.invalid.length > 0 && (
            <List size="sm">
              {r.invalid.slice(0, MAX_LISTED).map((i) => <List.Item key={i.line}>{i.message}</List.Item>)}
              {r.invalid.length > MAX_LISTED && <List.Item>… and {num(r.invalid.length - MAX_LISTED)} more</List.Item>}
            </List>
          )}
        </Alert>
      )}
    </>
  );
}
