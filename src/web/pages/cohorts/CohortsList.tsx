import { useMemo, type ReactNode } from 'react';
import { Badge, Button, Group, Stack, Table, Text, Title, Tooltip, UnstyledButton } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useAccounts } from '../../api/accounts';
import { useCohorts } from '../../api/cohorts';
import { useDestinations } from '../../api/destinations';
import { useSyncs } from '../../api/syncs';
import type { Sync } from '../../api/types';
import { CalculationBadge, StatusBadge } from '../../components/badges';
import { DefinitionSummary } from '../../components/DefinitionSummary';
import { num } from '../../components/format';
import { QueryState } from '../../components/QueryState';
import { Time } from '../../components/Time';
import { Link, linkProps, navigate, useLocation } from '../../router';
import { CohortFilters } from './CohortFilters';
import { REASONS, useCan } from '../../auth/permissions';
import { StepCounts } from './workflow/StepCounts';
import { teamFields } from './workflow/access';
import { apiParams, hasFilters, listSearch, naturalOrder, readListState, type ListState, type SortKey } from './list-params';

/** A column header that sorts the list: first click in the column's natural order, the next reverses it. */
function SortHeader({ label, sortKey, state, onSort, ta }: {
  label: string; sortKey: SortKey; state: ListState; onSort: (s: SortKey, o: 'asc' | 'desc') => void; ta?: 'right';
}) {
  const active = state.sort === sortKey;
  const next = active ? (state.order === 'asc' ? 'desc' : 'asc') : naturalOrder(sortKey);
  return (
    <Table.Th ta={ta} style={{ whiteSpace: 'nowrap' }} aria-sort={active ? (state.order === 'asc' ? 'ascending' : 'descending') : 'none'}>
      <UnstyledButton onClick={() => onSort(sortKey, next)} fw={700} fz="sm" aria-label={`Sort by ${label.toLowerCase()}`}>
        {label} {active ? (state.order === 'asc' ? '▲' : '▼') : <Text span c="dimmed" fz="xs">↕</Text>}
      </UnstyledButton>
    </Table.Th>
  );
}

export function CohortsList() {
  const { search } = useLocation();
  const state = readListState(search);
  const setState = (next: ListState) => navigate(`/cohorts${listSearch(next)}`, { replace: true });
  const [debounced] = useDebouncedValue(apiParams(state), 300);
  const q = useCohorts(debounced);
  const { canWrite } = useCan();
  const syncs = useSyncs();
  const destinations = useDestinations();
  const accounts = useAccounts();

  const syncsByCohort = useMemo(() => {
    const m = new Map<string, Sync[]>();
    for (const s of syncs.data ?? []) m.set(s.cohortId, [...(m.get(s.cohortId) ?? []), s]);
    return m;
  }, [syncs.data]);
  const destName = (id: string) => destinations.data?.find((d) => d.id === id)?.name ?? 'destination';
  const ownerName = (id: string | null | undefined): ReactNode => {
    if (!id) return <Text span size="sm" c="dimmed">admin token</Text>;
    const a = (accounts.data ?? []).find((x) => x.id === id);
    return a ? a.name || a.email : <Text span size="sm" c="dimmed">unknown</Text>;
  };
  const cohorts = q.data?.pages.flatMap((p) => p.items) ?? [];
  const onSort = (sort: SortKey, order: 'asc' | 'desc') => setState({ ...state, sort, order });

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
      <CohortFilters value={state} onChange={setState} />
      <QueryState query={q} what="cohorts">
        {cohorts.length === 0 ? (
          <Text c="dimmed" py="lg">
            {hasFilters(state) ? 'No cohort matches these filters.' : 'No cohorts yet. Create one to group users by what they did.'}
            {!state.showArchived && !state.status && ' Archived cohorts are hidden: tick "Show archived" to see them.'}
          </Text>
        ) : (
          <Table.ScrollContainer minWidth={1100}>
            <Table striped highlightOnHover aria-label="Cohorts">
              <Table.Thead>
                <Table.Tr>
                  <SortHeader label="Name" sortKey="name" state={state} onSort={onSort} />
                  <Table.Th>Kind</Table.Th>
                  <Table.Th>Status</Table.Th>
                  <Table.Th>Tags</Table.Th>
                  <SortHeader label="Size" sortKey="size" state={state} onSort={onSort} ta="right" />
                  <Table.Th>Syncs</Table.Th>
                  <Table.Th>Owner</Table.Th>
                  <SortHeader label="Created" sortKey="createdAt" state={state} onSort={onSort} />
                  <SortHeader label="Updated" sortKey="updatedAt" state={state} onSort={onSort} />
                  <Table.Th>Computed</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {cohorts.map((c) => {
                  const cohortSyncs = syncsByCohort.get(c.id) ?? [];
                  return (
                    <Table.Tr key={c.id}>
                      <Table.Td maw={340}>
                        <Link to={`/cohorts/${c.id}`} fw={500}>{c.name}</Link>
                        {c.kind === 'dynamic' && c.definition && <DefinitionSummary definition={c.definition} compact />}
                        <StepCounts steps={teamFields(c).steps} />
                      </Table.Td>
                      <Table.Td><Text size="sm">{c.kind === 'static' ? 'Uploaded list' : 'Conditions'}</Text></Table.Td>
                      <Table.Td style={{ whiteSpace: 'nowrap' }}><StatusBadge status={c.status} /></Table.Td>
                      <Table.Td>
                        <Group gap={4}>{c.tags.map((t) => <Badge key={t} variant="outline" size="sm" tt="none">{t}</Badge>)}</Group>
                      </Table.Td>
                      <Table.Td ta="right">{num(c.size)}</Table.Td>
                      <Table.Td>
                        {cohortSyncs.length === 0 ? <Text size="sm" c="dimmed">none</Text> : (
                          <Stack gap={4} align="flex-start">
                            {cohortSyncs.map((s) => (
                              <Badge key={s.id} size="sm" variant="light" tt="none"
                                color={s.paused ? 'gray' : s.state === 'idle' || s.state === 'running' ? 'teal' : 'red'}
                                style={{ cursor: 'pointer', overflow: 'visible' }} {...linkProps(`/syncs/${s.id}`)}>
                                {destName(s.destinationId)} · {s.paused ? 'paused' : s.state === 'idle' || s.state === 'running' ? s.frequency : 'failing'}
                              </Badge>
                            ))}
                          </Stack>
                        )}
                      </Table.Td>
                      <Table.Td><Text size="sm">{ownerName(teamFields(c).ownerId)}</Text></Table.Td>
                      <Table.Td><Text size="sm"><Time iso={c.createdAt} /></Text></Table.Td>
                      <Table.Td><Text size="sm"><Time iso={c.updatedAt} /></Text></Table.Td>
                      <Table.Td>
                        <Stack gap={2}>
                          <Text size="sm"><Time iso={c.computedAt} /></Text>
                          {c.calculation.state !== 'idle' && <CalculationBadge calc={c.calculation} />}
                        </Stack>
                      </Table.Td>
                    </Table.Tr>
                  );
                })}
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
