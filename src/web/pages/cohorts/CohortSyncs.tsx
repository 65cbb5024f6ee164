import { Button, Group, Paper, Stack, Table, Text, Title } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useDestinations } from '../../api/destinations';
import { useSyncs } from '../../api/syncs';
import { Guard } from '../../auth/Guard';
import { REASONS } from '../../auth/permissions';
import { RunStatusBadge, SyncStateBadge } from '../../components/badges';
import { QueryState } from '../../components/QueryState';
import { Time } from '../../components/Time';
import { Link } from '../../router';
import { SyncCreateModal } from './SyncCreateModal';

/** `canChange`: syncs are created on cohorts the principal can change (docs/TEAMS.md). */
export function CohortSyncs({ cohortId, canChange }: { cohortId: string; canChange: boolean }) {
  const q = useSyncs({ cohortId });
  const destinations = useDestinations();
  const [opened, { open, close }] = useDisclosure(false);
  const destName = (id: string) => destinations.data?.find((d) => d.id === id)?.name ?? id;
  return (
    <Paper withBorder p="md" radius="md">
      <Stack gap="sm">
        <Group justify="space-between">
          <Title order={3} size="h4">Syncs</Title>
          <Guard allowed={canChange} reason={REASONS.cohort}>
            <Button size="xs" onClick={open}>Sync</Button>
          </Guard>
        </Group>
        <QueryState query={q} what="syncs">
          {(q.data ?? []).length === 0 ? (
            <Text size="sm" c="dimmed">This cohort is not synced anywhere yet.</Text>
          ) : (
            <Table.ScrollContainer minWidth={520}>
              <Table aria-label="Syncs of this cohort">
                <Table.Thead>
                  <Table.Tr><Table.Th>Destination</Table.Th><Table.Th>Frequency</Table.Th><Table.Th>State</Table.Th><Table.Th>Last run</Table.Th></Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {q.data!.map((s) => (
                    <Table.Tr key={s.id}>
                      <Table.Td><Link to={`/syncs/${s.id}`}>{destName(s.destinationId)}</Link></Table.Td>
                      <Table.Td>{s.frequency}</Table.Td>
                      <Table.Td><SyncStateBadge sync={s} /></Table.Td>
                      <Table.Td>
                        {s.lastRun ? <Group gap={6}><RunStatusBadge status={s.lastRun.status} /><Time iso={s.lastRun.startedAt} /></Group> : 'never'}
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          )}
        </QueryState>
      </Stack>
      {opened && <SyncCreateModal cohortId={cohortId} opened={opened} onClose={close} />}
    </Paper>
  );
}
