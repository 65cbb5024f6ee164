import { Badge, Code, List, Stack, Table, Text } from '@mantine/core';
import { useSyncRuns } from '../../api/syncs';
import { RunStatusBadge } from '../../components/badges';
import { num } from '../../components/format';
import { Time } from '../../components/Time';
import { QueryState } from '../../components/QueryState';
import { plainSyncError } from './plain-errors';

export function RunHistory({ syncId }: { syncId: string }) {
  const q = useSyncRuns(syncId);
  return (
    <QueryState query={q} what="runs">
      {(q.data ?? []).length === 0 ? (
        <Text size="sm" c="dimmed">No run yet.</Text>
      ) : (
        <Table.ScrollContainer minWidth={720}>
          <Table aria-label="Run history" data-testid="run-history">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Started</Table.Th><Table.Th>Status</Table.Th><Table.Th ta="right">Added</Table.Th><Table.Th ta="right">Removed</Table.Th>
                <Table.Th ta="right">Failed</Table.Th><Table.Th ta="right">Requests</Table.Th><Table.Th ta="right">Retries</Table.Th><Table.Th>Errors</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {q.data!.map((r) => (
                <Table.Tr key={r.id}>
                  <Table.Td style={{ whiteSpace: 'nowrap' }}>
                    <Time iso={r.startedAt} absolute /> {r.full && <Badge size="xs" variant="outline">full</Badge>}
                    <Text size="xs" c="dimmed">{r.trigger === 'manual' ? 'started by a person' : 'on schedule'}</Text>
                  </Table.Td>
                  <Table.Td><RunStatusBadge status={r.status} /></Table.Td>
                  <Table.Td ta="right">{num(r.added)}</Table.Td>
                  <Table.Td ta="right">{num(r.removed)}</Table.Td>
                  <Table.Td ta="right">{num(r.failed)}</Table.Td>
                  <Table.Td ta="right">{num(r.requests)}</Table.Td>
                  <Table.Td ta="right">{num(r.retries)}</Table.Td>
                  <Table.Td>
                    {r.errors.length === 0 ? '—' : (
                      <List size="xs" spacing={4}>
                        {r.errors.slice(0, 5).map((e, i) => (
                          <List.Item key={i}>
                            <Stack gap={2}>
                              <Text size="xs" c="red">{plainSyncError(e.message, e.status)}</Text>
                              <Text size="xs" c="dimmed">{e.status ? `HTTP ${e.status}` : 'no answer'}: {e.message}</Text>
                              {e.sampleUserIds.length > 0 && <Code>{e.sampleUserIds.slice(0, 5).join(', ')}</Code>}
                            </Stack>
                          </List.Item>
                        ))}
                      </List>
                    )}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </QueryState>
  );
}
