import { useState } from 'react';
import { Alert, Badge, Button, Code, CopyButton, Group, Modal, Stack, Table, Text, Title } from '@mantine/core';
import { useDeleteDestination, useDestinations, useTestDestination } from '../../api/destinations';
import { plainSyncError } from '../syncs/plain-errors';
import { errorMessage } from '../../api/errors';
import type { Destination } from '../../api/types';
import { Guard } from '../../auth/Guard';
import { REASONS, useCan } from '../../auth/permissions';
import { QueryState } from '../../components/QueryState';
import { DestinationForm } from './DestinationForm';
import { DESTINATION_FORMS, summarize } from './fields';

type Editing = { mode: 'create' } | { mode: 'edit'; destination: Destination } | null;

export function DestinationsPage() {
  const q = useDestinations();
  const test = useTestDestination();
  const del = useDeleteDestination();
  const { canAdmin } = useCan();
  const [editing, setEditing] = useState<Editing>(null);
  const [secret, setSecret] = useState<string | null>(null);
  const [results, setResults] = useState<Record<string, { ok: boolean; message: string }>>({});

  function runTest(id: string) {
    test.mutate(id, {
      onSuccess: (r) => setResults((s) => ({ ...s, [id]: r })),
      onError: (e) => setResults((s) => ({ ...s, [id]: { ok: false, message: errorMessage(e) } })),
    });
  }

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>Destinations</Title>
        <Guard allowed={canAdmin} reason={REASONS.admin}>
          <Button onClick={() => setEditing({ mode: 'create' })}>New destination</Button>
        </Guard>
      </Group>
      {del.isError && <Alert color="red" role="alert" title="Could not delete">{errorMessage(del.error)}</Alert>}
      <QueryState query={q} what="destinations">
        {(q.data ?? []).length === 0 ? (
          <Text c="dimmed" py="lg">No destinations yet. A destination is where cohort members are sent: a webhook, a partner API, Meta Ads or files.</Text>
        ) : (
          <Table.ScrollContainer minWidth={700}>
            <Table aria-label="Destinations" striped>
              <Table.Thead>
                <Table.Tr><Table.Th>Name</Table.Th><Table.Th>Type</Table.Th><Table.Th>Target</Table.Th><Table.Th>Connection</Table.Th><Table.Th /></Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {q.data!.map((d) => {
                  const r = results[d.id];
                  return (
                    <Table.Tr key={d.id}>
                      <Table.Td fw={500}>{d.name}</Table.Td>
                      <Table.Td><Badge variant="light" tt="none">{DESTINATION_FORMS[d.type]?.label ?? d.type}</Badge></Table.Td>
                      <Table.Td><Text size="sm" style={{ wordBreak: 'break-all' }}>{summarize(d.type, d.config)}</Text></Table.Td>
                      <Table.Td>
                        {r ? <Text size="sm" c={r.ok ? 'green' : 'red'} role="status" title={r.message}>{r.ok ? `✓ ${r.message}` : `✗ ${plainSyncError(r.message)}`}</Text> : <Text size="sm" c="dimmed">not tested</Text>}
                      </Table.Td>
                      <Table.Td>
                        {canAdmin ? (
                          <Group gap={4} wrap="nowrap" justify="flex-end">
                            <Button size="xs" variant="default" aria-label={`Test connection of ${d.name}`}
                              loading={test.isPending && test.variables === d.id} onClick={() => runTest(d.id)}>Test</Button>
                            <Button size="xs" variant="default" aria-label={`Edit ${d.name}`} onClick={() => setEditing({ mode: 'edit', destination: d })}>Edit</Button>
                            <Button size="xs" variant="subtle" color="red" aria-label={`Delete ${d.name}`}
                              onClick={() => { if (window.confirm(`Delete destination ${d.name}?`)) del.mutate(d.id); }}>Delete</Button>
                          </Group>
                        ) : (
                          <Text size="xs" c="dimmed" ta="right" title={REASONS.admin}>read only</Text>
                        )}
                      </Table.Td>
                    </Table.Tr>
                  );
                })}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </QueryState>
      <Modal opened={editing !== null} onClose={() => setEditing(null)} size="lg"
        title={editing?.mode === 'edit' ? `Edit ${editing.destination.name}` : 'New destination'}>
        {editing && (
          <DestinationForm existing={editing.mode === 'edit' ? editing.destination : undefined}
            onDone={(d) => { setEditing(null); if (d.generatedSecret) setSecret(d.generatedSecret); }} />
        )}
      </Modal>
      <Modal opened={secret !== null} onClose={() => setSecret(null)} title="Webhook signing secret">
        <Stack>
          <Text size="sm">This secret was generated for the webhook. Copy it now: it will not be shown again.</Text>
          <Code block style={{ wordBreak: 'break-all' }}>{secret}</Code>
          <CopyButton value={secret ?? ''}>{({ copied, copy }) => <Button onClick={copy}>{copied ? 'Copied' : 'Copy secret'}</Button>}</CopyButton>
        </Stack>
      </Modal>
    </Stack>
  );
}
