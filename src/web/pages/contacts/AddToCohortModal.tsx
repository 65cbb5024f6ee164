import { useState } from 'react';
import { Alert, Button, Group, List, Modal, Select, Stack, Text } from '@mantine/core';
import { useCohortOptions } from '../../api/cohorts';
import { useAddContactsToCohort } from '../../api/contacts';
import { errorMessage } from '../../api/errors';
import { num } from '../../components/format';
import { QueryState } from '../../components/QueryState';
import { useCan } from '../../auth/permissions';
import { Link } from '../../router';

const MAX_LISTED = 10;

/** Adds the selected contacts to a static cohort the user may change, and says what happened. */
export function AddToCohortModal({ userIds, opened, onClose }: { userIds: string[]; opened: boolean; onClose: () => void }) {
  const cohorts = useCohortOptions();
  const can = useCan();
  const add = useAddContactsToCohort();
  const [cohortId, setCohortId] = useState<string | null>(null);
  const options = (cohorts.data?.items ?? [])
    .filter((c) => c.kind === 'static' && can.canEditCohort(c))
    .map((c) => ({ value: c.id, label: c.name }));
  const chosen = options.find((o) => o.value === cohortId);
  const r = add.data;

  function close() {
    add.reset();
    setCohortId(null);
    onClose();
  }

  return (
    <Modal opened={opened} onClose={close} title="Add to cohort">
      <QueryState query={cohorts} what="cohorts">
        <Stack gap="sm">
          {r && chosen ? (
            <Alert color={r.invalid.length ? 'yellow' : 'green'} role="status" title={`Added to ${chosen.label}`}>
              {num(r.added)} added, {num(r.alreadyMember)} already member{r.alreadyMember === 1 ? '' : 's'}
              {r.invalid.length ? `, ${num(r.invalid.length)} not added:` : '.'}
              {r.invalid.length > 0 && (
                <List size="sm">
                  {r.invalid.slice(0, MAX_LISTED).map((i) => <List.Item key={i.line}>{i.message}</List.Item>)}
                </List>
              )}
              <Text size="sm" mt="xs"><Link to={`/cohorts/${chosen.value}`}>Open {chosen.label}</Link></Text>
            </Alert>
          ) : options.length === 0 && !cohorts.isPending ? (
            <Text size="sm">
              There is no static cohort you can change.{' '}
              {can.canWrite && <><Link to="/cohorts/new">Create a static cohort</Link> first.</>}
            </Text>
          ) : (
            <>
              <Text size="sm">Add {num(userIds.length)} selected contact{userIds.length === 1 ? '' : 's'} to a static cohort.</Text>
              <Select label="Static cohort" placeholder="Choose a cohort" data={options} value={cohortId} onChange={setCohortId}
                searchable nothingFoundMessage="No static cohort by that name" comboboxProps={{ withinPortal: true }} />
            </>
          )}
          {add.error != null && <Alert color="red" role="alert">{errorMessage(add.error)}</Alert>}
          <Group justify="flex-end">
            <Button variant="default" onClick={close}>{r ? 'Close' : 'Cancel'}</Button>
            {!r && (
              <Button disabled={!cohortId || userIds.length === 0} loading={add.isPending}
                onClick={() => cohortId && add.mutate({ cohortId, userIds })}>
                Add {num(userIds.length)} contact{userIds.length === 1 ? '' : 's'}
              </Button>
            )}
          </Group>
        </Stack>
      </QueryState>
    </Modal>
  );
}
