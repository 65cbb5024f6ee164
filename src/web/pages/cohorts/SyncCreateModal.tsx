import { useState } from 'react';
import { Alert, Button, Group, Modal, NumberInput, SegmentedControl, Select, Stack, Text } from '@mantine/core';
import { useDestinations, useTestDestination } from '../../api/destinations';
import { ApiError, errorMessage } from '../../api/errors';
import { useCreateSync, useUpdateSync } from '../../api/syncs';
import type { Frequency } from '../../api/types';
import { Link, navigate } from '../../router';
import { plainSyncError } from '../syncs/plain-errors';

const FREQUENCIES = [
  { value: 'once', label: 'Once' },
  { value: 'hourly', label: 'Hourly' },
  { value: 'daily', label: 'Daily' },
];

/** Creates a sync of this cohort; when one exists for the destination (409), offers to change it instead. */
export function SyncCreateModal({ cohortId, opened, onClose }: { cohortId: string; opened: boolean; onClose: () => void }) {
  const destinations = useDestinations();
  const create = useCreateSync();
  const update = useUpdateSync();
  const [destinationId, setDestinationId] = useState<string | null>(null);
  const [frequency, setFrequency] = useState<Frequency>('daily');
  const [batchSize, setBatchSize] = useState<number | ''>('');
  // The chosen destination is tested right away: a sync to one that fails its test would only fail later, out of sight.
  const test = useTestDestination();
  const choose = (id: string | null) => {
    setDestinationId(id);
    create.reset();
    test.reset();
    if (id) test.mutate(id);
  };

  const existingId =
    create.error instanceof ApiError && create.error.code === 'sync_exists'
      ? String((create.error.details as { syncId?: string } | undefined)?.syncId ?? '')
      : null;

  function close() {
    create.reset();
    update.reset();
    onClose();
  }
  function save() {
    if (!destinationId) return;
    create.mutate(
      { cohortId, destinationId, frequency, ...(batchSize !== '' ? { batchSize } : {}) },
      { onSuccess: (s) => { close(); navigate(`/syncs/${s.id}`); } },
    );
  }
  function changeExisting() {
    if (!existingId) return;
    update.mutate({ id: existingId, frequency }, { onSuccess: (s) => { close(); navigate(`/syncs/${s.id}`); } });
  }

  const options = (destinations.data ?? []).map((d) => ({ value: d.id, label: `${d.name} (${d.type})` }));
  return (
    <Modal opened={opened} onClose={close} title="Sync this cohort">
      <Stack>
        {destinations.isSuccess && options.length === 0 ? (
          <Text size="sm">No destination yet. <Link to="/destinations">Create a destination</Link> first.</Text>
        ) : (
          <Select label="Destination" aria-label="Destination" placeholder={destinations.isPending ? 'Loading…' : 'Choose a destination'}
            data={options} value={destinationId} searchable
            error={destinations.isError ? errorMessage(destinations.error) : undefined}
            onChange={choose} />
        )}
        {destinationId && test.isPending && <Text size="sm" c="dimmed" role="status">Testing the destination…</Text>}
        {destinationId && test.data?.ok === true && <Text size="sm" c="green" role="status">✓ The destination answered its test.</Text>}
        {destinationId && (test.data?.ok === false || test.isError) && (
          <Alert color="orange" role="alert" title="This destination failed its test">
            <Text size="sm">{test.data ? plainSyncError(test.data.message) : errorMessage(test.error)}</Text>
            {test.data && <Text size="xs" c="dimmed">Details: {test.data.message}</Text>}
            <Text size="sm" mt={4}>A sync to it will keep failing until the destination is fixed. <Link to="/destinations">Check the destination</Link>, or save anyway.</Text>
          </Alert>
        )}
        <div>
          <Text size="sm" fw={500} mb={4} id="sync-frequency-label">Frequency</Text>
          <SegmentedControl aria-labelledby="sync-frequency-label" data={FREQUENCIES} value={frequency}
            onChange={(v) => setFrequency(v as Frequency)} fullWidth />
        </div>
        <NumberInput label="Batch size" aria-label="Batch size" description="Users per request (default 1000)" min={1} max={10000}
          value={batchSize} onChange={(v) => setBatchSize(typeof v === 'number' ? v : '')} />
        {existingId !== null ? (
          <Alert color="yellow" role="alert" title="This cohort already syncs to that destination">
            <Stack gap="xs">
              <Text size="sm">There is one sync per cohort and destination. Change the existing sync instead?</Text>
              <Group>
                <Button size="xs" onClick={changeExisting} loading={update.isPending}>Change its frequency to {frequency}</Button>
                {existingId && <Button size="xs" variant="default" onClick={() => { close(); navigate(`/syncs/${existingId}`); }}>Open it</Button>}
              </Group>
              {update.isError && <Text size="sm" c="red">{errorMessage(update.error)}</Text>}
            </Stack>
          </Alert>
        ) : create.isError ? (
          <Alert color="red" role="alert" title="Could not create the sync">{errorMessage(create.error)}</Alert>
        ) : null}
        <Group justify="flex-end">
          <Button variant="default" onClick={close}>Cancel</Button>
          <Button onClick={save} disabled={!destinationId || existingId !== null} loading={create.isPending}>Save</Button>
        </Group>
      </Stack>
    </Modal>
  );
}
