import { useState } from 'react';
import { Badge, Button, Group, Select, Stack, Table, Text, TextInput, Tooltip } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useActionLog, useSteps, type ActionExecution, type ExecutionStatus } from '../../../api/workflows';
import { num } from '../../../components/format';
import { absoluteTime } from '../../../components/time-format';
import { QueryState } from '../../../components/QueryState';
import { Time } from '../../../components/Time';
import { Link } from '../../../router';

const STATUS_COLOR: Record<ExecutionStatus, string> = { pending: 'gray', running: 'blue', succeeded: 'green', failed: 'red' };
const TYPE_LABEL: Record<string, string> = { webhook: 'webhook', set_property: 'set property', add_to_cohort: 'add to cohort', run_sync: 'run sync' };

/** Executions of the steps' actions, newest first; follows the ones still pending or running. */
export function ActionLog({ cohortId }: { cohortId: string }) {
  const steps = useSteps(cohortId);
  const [stepId, setStepId] = useState<string | null>(null);
  const [user, setUser] = useState('');
  const [userId] = useDebouncedValue(user.trim(), 300);
  const q = useActionLog(cohortId, { stepId: stepId ?? undefined, userId: userId || undefined });
  const items = q.data?.pages.flatMap((p) => p.items) ?? [];

  return (
    <Stack gap="sm">
      <Group gap="sm">
        <Select aria-label="Filter by step" placeholder="All steps" clearable w={220} value={stepId} onChange={setStepId}
          data={(steps.data ?? []).map((s) => ({ value: s.id, label: s.name }))} />
        <TextInput aria-label="Filter by user id" placeholder="User id" w={220} value={user} onChange={(e) => setUser(e.currentTarget.value)} />
      </Group>
      <QueryState query={q} what="action log">
        {items.length === 0 ? (
          <Text size="sm" c="dimmed">No action has run yet. Actions run when a card reaches a step that has one.</Text>
        ) : (
          <Table.ScrollContainer minWidth={760}>
            <Table aria-label="Action log" striped>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>When</Table.Th><Table.Th>User</Table.Th><Table.Th>Step</Table.Th><Table.Th>Action</Table.Th>
                  <Table.Th>Status</Table.Th><Table.Th ta="right">Attempts</Table.Th><Table.Th>Last error</Table.Th><Table.Th>Finished</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {items.map((e) => (
                  <Table.Tr key={e.id}>
                    <Table.Td><Time iso={e.createdAt} absolute /></Table.Td>
                    <Table.Td><Link to={`/users/${encodeURIComponent(e.userId)}`}>{e.userId}</Link></Table.Td>
                    <Table.Td>{e.stepName}</Table.Td>
                    <Table.Td>{TYPE_LABEL[e.type] ?? e.type}</Table.Td>
                    <Table.Td>
                      <Badge variant="light" color={STATUS_COLOR[e.status]} data-testid="execution-status">{e.status}</Badge>
                      {e.status === 'pending' && e.nextAttemptAt && <Text size="xs" c="dimmed">next try <Time iso={e.nextAttemptAt} /></Text>}
                    </Table.Td>
                    <Table.Td ta="right"><Attempts execution={e} /></Table.Td>
                    <Table.Td maw={280}><Text size="xs" c={e.lastError ? 'red' : 'dimmed'} lineClamp={3}>{e.lastError ?? '—'}</Text></Table.Td>
                    <Table.Td>{e.finishedAt ? <Time iso={e.finishedAt} absolute /> : '—'}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
        {q.hasNextPage && <Button variant="default" size="xs" onClick={() => q.fetchNextPage()} loading={q.isFetchingNextPage}>Load more</Button>}
      </QueryState>
    </Stack>
  );
}

/** The attempt count, with every try (time and outcome) on hover. */
function Attempts({ execution: e }: { execution: ActionExecution }) {
  const log = e.attemptLog ?? [];
  if (log.length === 0) return <>{num(e.attempts)}</>;
  const label = (
    <Stack gap={2}>
      {log.map((a, i) => <Text key={i} size="xs">{absoluteTime(a.at)} — {a.ok ? 'ok' : a.error ?? 'failed'}</Text>)}
    </Stack>
  );
  return <Tooltip label={label} multiline maw={420}><Text span size="sm" td="underline dotted" tabIndex={0}>{num(e.attempts)}</Text></Tooltip>;
}
