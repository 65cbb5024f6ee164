import { useState } from 'react';
import { Alert, Button, Group, List, Modal, SegmentedControl, Select, Stack, Text, TextInput } from '@mantine/core';
import { useCohortOptions, useSaveCohort } from '../../api/cohorts';
import { useAddContactsToCohort } from '../../api/contacts';
import { errorMessage } from '../../api/errors';
import { num } from '../../components/format';
import { QueryState } from '../../components/QueryState';
import { useCan } from '../../auth/permissions';
import { Link } from '../../router';

const MAX_LISTED = 10;

/** Adds the selected contacts to a static cohort the user may change (or a new one made from them), and says what happened. */
export function AddToCohortModal({ userIds, opened, onClose }: { userIds: string[]; opened: boolean; onClose: () => void }) {
  const cohorts = useCohortOptions();
  const can = useCan();
  const add = useAddContactsToCohort();
  const create = useSaveCohort();
  const [cohortId, setCohortId] = useState<string | null>(null);
  const [mode, setMode] = useState<'existing' | 'new'>('existing');
  const [newName, setNewName] = useState('');
  const [createdName, setCreatedName] = useState<string | null>(null);
  const options = (cohorts.data?.items ?? [])
    .filter((c) => c.kind === 'static' && can.canEditCohort(c))
    .map((c) => ({ value: c.id, label: c.name }));
  const chosen = options.find((o) => o.value === cohortId) ?? (cohortId && createdName ? { value: cohortId, label: createdName } : undefined);
  const r = add.data;
  const creating = mode === 'new' || (options.length === 0 && !cohorts.isPending);

  function close() {
    add.reset();
    create.reset();
    setCohortId(null);
    setNewName('');
    setCreatedName(null);
    onClose();
  }
  /** A new static cohort, then the selection added to it. */
  function createAndAdd() {
    const name = newName.trim();
    if (!name) return;
    create.mutate({ name, kind: 'static' }, {
      onSuccess: (c) => {
        setCohortId(c.id);
        setCreatedName(c.name);
        add.mutate({ cohortId: c.id, userIds });
      },
    });
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
          ) : (
            <>
              <Text size="sm">Add {num(userIds.length)} selected contact{userIds.length === 1 ? '' : 's'} to a static cohort.</Text>
              {can.canWrite && options.length > 0 && (
                <SegmentedControl aria-label="Existing or new cohort" value={mode} onChange={(v) => setMode(v as 'existing' | 'new')}
                  data={[{ value: 'existing', label: 'Existing cohort' }, { value: 'new', label: 'New cohort of these people' }]} />
              )}
              {creating ? (
                can.canWrite ? (
                  <TextInput label="New cohort name" aria-label="New cohort name" placeholder="e.g. Hand-picked for the spring campaign"
                    value={newName} onChange={(e) => setNewName(e.currentTarget.value)} />
                ) : <Text size="sm">There is no static cohort you can change.</Text>
              ) : (
                <Select label="Static cohort" placeholder="Choose a cohort" data={options} value={cohortId} onChange={setCohortId}
                  searchable nothingFoundMessage="No static cohort by that name" comboboxProps={{ withinPortal: true }} />
              )}
            </>
          )}
          {create.error != null && <Alert color="red" role="alert" title="Could not create the cohort">{errorMessage(create.error)}</Alert>}
          {add.error != null && <Alert color="red" role="alert">{errorMessage(add.error)}</Alert>}
          <Group justify="flex-end">
            <Button variant="default" onClick={close}>{r ? 'Close' : 'Cancel'}</Button>
            {!r && creating && can.canWrite && (
              <Button disabled={!newName.trim() || userIds.length === 0} loading={create.isPending || add.isPending} onClick={createAndAdd}>
                Create with {num(userIds.length)} contact{userIds.length === 1 ? '' : 's'}
              </Button>
            )}
            {!r && !creating && (
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
