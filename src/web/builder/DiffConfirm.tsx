import { Alert, Badge, Button, Group, Loader, Modal, Stack, Table, Text } from '@mantine/core';
import type { UseMutationResult } from '@tanstack/react-query';
import type { Definition } from '../api/definition';
import { errorMessage } from '../api/errors';
import type { CohortDiff } from '../api/insight';
import { num } from '../components/format';

function Sample({ label, ids }: { label: string; ids: string[] }) {
  if (ids.length === 0) return null;
  return (
    <Group gap={4}>
      <Text size="xs" c="dimmed">{label}:</Text>
      {ids.map((u) => <Badge key={u} variant="light" tt="none" size="sm">{u}</Badge>)}
    </Group>
  );
}

/** Before saving a changed definition: who would enter and leave, and what each sync would send. */
export function DiffConfirm({ opened, diff, saving, onCancel, onConfirm }: {
  opened: boolean;
  diff: UseMutationResult<CohortDiff, Error, Definition>;
  saving: boolean;
  onCancel: () => void;
  onConfirm: () => void;
}) {
  const d = diff.data;
  return (
    <Modal opened={opened} onClose={onCancel} title="Save these changes?" size="lg">
      <Stack gap="sm">
        {diff.isPending && <Group gap="xs"><Loader size="xs" /><Text size="sm">Working out what would change…</Text></Group>}
        {diff.isError && <Alert color="red" role="alert" title="Could not work out the change">{errorMessage(diff.error)}</Alert>}
        {d && (
          <Stack gap="xs" data-testid="cohort-diff">
            <Text size="sm">
              The cohort has <b>{num(d.current)}</b> members now; with the new conditions it would have <b>{num(d.proposed)}</b>:
              {' '}<b data-testid="diff-added">{num(d.added)}</b> would join and <b data-testid="diff-removed">{num(d.removed)}</b> would leave.
            </Text>
            <Sample label="Would join" ids={d.sampleAdded} />
            <Sample label="Would leave" ids={d.sampleRemoved} />
            {d.syncs.length > 0 ? (
              <Table aria-label="What each sync would send">
                <Table.Thead><Table.Tr><Table.Th>Sync</Table.Th><Table.Th>Would add</Table.Th><Table.Th>Would remove</Table.Th></Table.Tr></Table.Thead>
                <Table.Tbody>
                  {d.syncs.map((s) => (
                    <Table.Tr key={s.syncId}><Table.Td>{s.syncId} → {s.destinationId}</Table.Td><Table.Td>{num(s.wouldAdd)}</Table.Td><Table.Td>{num(s.wouldRemove)}</Table.Td></Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            ) : (
              <Text size="xs" c="dimmed">No sync sends this cohort anywhere.</Text>
            )}
          </Stack>
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={onCancel}>Keep editing</Button>
          <Button onClick={onConfirm} loading={saving} disabled={diff.isPending}>Save changes</Button>
        </Group>
      </Stack>
    </Modal>
  );
}
