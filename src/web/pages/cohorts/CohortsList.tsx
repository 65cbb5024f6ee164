import { useMemo, useState } from 'react';
import { Badge, Button, Group, Stack, Table, Text, Title, Tooltip } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useCohorts, type CohortListParams } from '../../api/cohorts';
import { useDestinations } from '../../api/destinations';
import { useSyncs } from '../../api/syncs';
import type { Sync } from '../../api/types';
import { CalculationBadge, StatusBadge } from '../../components/badges';
import { num } from '../../components/format';
import { QueryState } from '../../components/QueryState';
import { Time } from '../../components/Time';
import { Link, linkProps } from '../../router';
import { CohortFilters } from './CohortFilters';
import { REASONS, useCan } from '../../auth/permissions';
import { StepCounts } from './workflow/StepCounts';
import { teamFields } from './workflow/access';

export function CohortsList() {
  const [filters, setFilters] = useState<CohortListParams>({ sort: 'updatedAt', order: 'desc' });
  const [debounced] = useDebouncedValue(filters, 300);
  const q = useCohorts(debounced);
  const { canWrite } = useCan();
  const syncs = useSyncs();
  const destinations = useDestinations();

  const syncsByCohort = useMemo(() => {
    const m = new Map<string, Sync[]>();
    for (const s of syncs.data ?? []) m.set(s.cohortId, [...(m.get(s.cohortId) ?? []), s]);
    return m;
  }, [syncs.data]);
  const destName = (id: string) => destinations.data?.find((d) => d.id === id)?.name ?? 'destination';
  const cohorts = q.data?.pages.flatMap((p) => p.items) ?? [];
  const filtered = Object.entries(debounced).some(([k, v]) => k !== 'sort' && k !== 'order' && v);

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>Cohorts</Title>
        {canWrite ? (
          <Button {...linkProps('/cohorts/new')}>Create cohort</Button>
        ) : (
          <Tooltip label={REASONS.write} multiline maw={280}>
            <Badge variant="light" color="gray" tt="none" tabIndex={0}>Read only</Badge>
          </Tooltip>
        )}
      </Group>
      <CohortFilters value={filters} onChange={setFilters} />
      <QueryState query={q} what="cohorts">
        {cohorts.length === 0 ? (
          <Text c="dimmed" py="lg">
            {filtered ? 'No cohort matches these filters.' : 'No cohorts yet. Create one to group users by what they did.'}
          </Text>
        ) : (
          <Table.ScrollContainer minWidth={760}>
            <Table striped highlightOnHover aria-label="Cohorts">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Name</Table.Th>
                  <Table.Th>Status</Table.Th>
                  <Table.Th>Tags</Table.Th>
                  <Table.Th ta="right">Size</Table.Th>
                  <Table.Th>Last computed</Table.Th>
                  <Table.Th>Calculation</Table.Th>
                  <Table.Th>Syncs</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {cohorts.map((c) => (
                  <Table.Tr key={c.id}>
                    <Table.Td>
                      <Link to={`/cohorts/${c.id}`} fw={500}>{c.name}</Link>
                      <StepCounts steps={teamFields(c).steps} />
                    </Table.Td>
                    <Table.Td><StatusBadge status={c.status} /></Table.Td>
                    <Table.Td>
                      <Group gap={4}>{c.tags.map((t) => <Badge key={t} variant="outline" size="sm" tt="none">{t}</Badge>)}</Group>
                    </Table.Td>
                    <Table.Td ta="right">{num(c.size)}</Table.Td>
                    <Table.Td><Time iso={c.computedAt} /></Table.Td>
                    <Table.Td><CalculationBadge calc={c.calculation} /></Table.Td>
                    <Table.Td>
                      <Group gap={4}>
                        {(syncsByCohort.get(c.id) ?? []).map((s) => (
                          <Badge
                            key={s.id}
                            size="sm"
                            variant="light"
                            color={s.paused ? 'gray' : s.state === 'idle' || s.state === 'running' ? 'teal' : 'red'}
                            style={{ cursor: 'pointer' }}
                            {...linkProps(`/syncs/${s.id}`)}
                          >
                            {destName(s.destinationId)} · {s.frequency}
                          </Badge>
                        ))}
                      </Group>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
        {q.hasNextPage && (
          <Button variant="default" onClick={() => q.fetchNextPage()} loading={q.isFetchingNextPage}>Load more</Button>
        )}
      </QueryState>
    </Stack>
  );
}
