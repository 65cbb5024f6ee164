import { Group, Stack, Table, Text, Title } from '@mantine/core';
import { useCohortOptions } from '../../api/cohorts';
import { useDestinations } from '../../api/destinations';
import { useSyncs } from '../../api/syncs';
import { RunStatusBadge, SyncStateBadge } from '../../components/badges';
import { QueryState } from '../../components/QueryState';
import { Time } from '../../components/Time';
import { Link } from '../../router';

export function SyncsPage() {
  const q = useSyncs();
  const cohorts = useCohortOptions();
  const destinations = useDestinations();
  const cohortName = (id: string) => cohorts.data?.items.find((c) => c.id === id)?.name ?? `cohort ${id}`;
  const destName = (id: string) => destinations.data?.find((d) => d.id === id)?.name ?? `destination ${id}`;
  return (
    <Stack>
      <Title order={2}>Syncs</Title>
      <QueryState query={q} what="syncs">
        {(q.data ?? []).length === 0 ? (
          <Text c="dimmed" py="lg">No syncs yet. Open a cohort and use its Sync button to send its members to a destination.</Text>
        ) : (
          <Table.ScrollContainer minWidth={760}>
            <Table aria-label="Syncs" striped highlightOnHover>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Sync</Table.Th><Table.Th>Cohort</Table.Th><Table.Th>Frequency</Table.Th>
                  <Table.Th>State</Table.Th><Table.Th>Last run</Table.Th><Table.Th>Next run</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {q.data!.map((s) => (
                  <Table.Tr key={s.id}>
                    <Table.Td><Link to={`/syncs/${s.id}`} fw={500}>{cohortName(s.cohortId)} → {destName(s.destinationId)}</Link></Table.Td>
                    <Table.Td><Link to={`/cohorts/${s.cohortId}`} size="sm">{cohortName(s.cohortId)}</Link></Table.Td>
                    <Table.Td>{s.frequency}</Table.Td>
                    <Table.Td><SyncStateBadge sync={s} /></Table.Td>
                    <Table.Td>{s.lastRun ? <Group gap={6} wrap="nowrap"><RunStatusBadge status={s.lastRun.status} /><Time iso={s.lastRun.startedAt} /></Group> : 'never'}</Table.Td>
                    <Table.Td>{s.paused ? '—' : s.state === 'running' ? 'after this run' : !s.nextRunAt ? (s.frequency === 'once' ? 'none (runs once)' : '—')
                      : Date.parse(s.nextRunAt) <= Date.now() ? 'due now' : <Time iso={s.nextRunAt} />}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </QueryState>
    </Stack>
  );
}
