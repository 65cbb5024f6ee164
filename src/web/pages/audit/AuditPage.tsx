import { useMemo, useState } from 'react';
import { Alert, Autocomplete, Badge, Button, Code, Group, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useAccounts, useAudit, type AuditEntry, type AuditFilters } from '../../api/accounts';
import { REASONS, useCan } from '../../auth/permissions';
import dayjs from 'dayjs';
import { QueryState } from '../../components/QueryState';
import { Time } from '../../components/Time';

// Suggestions only: the log may hold other actions and types, so the fields take free text.
const ACTIONS = [
  'account.created', 'account.updated', 'account.deleted', 'auth.login', 'auth.logout', 'token.created', 'token.revoked',
  'cohort.created', 'cohort.updated', 'cohort.deleted', 'cohort.members_added', 'cohort.collaborator_set', 'cohort.steps_updated',
  'card.moved', 'destination.created', 'destination.updated', 'destination.deleted', 'sync.created', 'sync.run_started',
];
const RESOURCE_TYPES = ['account', 'cohort', 'card', 'destination', 'sync', 'token'];

interface Form {
  actor: string;
  resourceType: string;
  action: string;
  /** YYYY-MM-DD from the date inputs, local days. */
  from: string;
  to: string;
}

/** Local calendar days become instants: `from` at the day's start, `to` at its end. */
export function toAuditFilters(f: Form): AuditFilters {
  return {
    actor: f.actor.trim() || undefined,
    resourceType: f.resourceType.trim() || undefined,
    action: f.action.trim() || undefined,
    from: f.from ? dayjs(f.from).startOf('day').toISOString() : undefined,
    to: f.to ? dayjs(f.to).endOf('day').toISOString() : undefined,
  };
}

function Actor({ actor }: { actor: AuditEntry['actor'] }) {
  const via = { admin_token: 'admin token', session: 'session', api_token: 'API token' }[actor.via];
  return (
    <Group gap={6} wrap="nowrap">
      <Text size="sm">{actor.email ?? 'Admin token'}</Text>
      {actor.via !== 'admin_token' && <Badge size="xs" variant="outline" color="gray" tt="none">{via}</Badge>}
    </Group>
  );
}

export function AuditPage() {
  const can = useCan();
  if (!can.canAdmin) {
    return (
      <Stack>
        <Title order={2}>Audit log</Title>
        <Alert color="yellow" title="You don't have permission to see the audit log">{REASONS.admin}</Alert>
      </Stack>
    );
  }
  return <AuditLog />;
}

function AuditLog() {
  const [form, setForm] = useState<Form>({ actor: '', resourceType: '', action: '', from: '', to: '' });
  const [debounced] = useDebouncedValue(form, 300);
  const filters = useMemo(() => toAuditFilters(debounced), [debounced]);
  const q = useAudit(filters);
  const accounts = useAccounts();
  const actorOptions = useMemo(() => ['admin_token', ...(accounts.data ?? []).map((a) => a.email)], [accounts.data]);
  const set = (k: keyof Form, v: string) => setForm((s) => ({ ...s, [k]: v }));
  const entries = q.data?.pages.flatMap((p) => p.items) ?? [];
  const filtered = Object.values(debounced).some(Boolean);

  return (
    <Stack>
      <Title order={2}>Audit log</Title>
      <Text size="sm" c="dimmed">Every change made through the API or this app, newest first. Secrets and passwords are never recorded.</Text>
      <Group align="flex-end" gap="sm" wrap="wrap" role="search" aria-label="Filter the audit log">
        <Autocomplete label="Actor" placeholder="Email or admin_token" data={actorOptions} value={form.actor}
          onChange={(v) => set('actor', v)} w={{ base: '100%', xs: 220 }} />
        <Autocomplete label="Resource type" placeholder="Any" data={RESOURCE_TYPES} value={form.resourceType}
          onChange={(v) => set('resourceType', v)} w={150} />
        <Autocomplete label="Action" placeholder="Any" data={ACTIONS} value={form.action} onChange={(v) => set('action', v)} w={210} />
        <TextInput type="date" label="From" value={form.from} onChange={(e) => set('from', e.currentTarget.value)} w={150} />
        <TextInput type="date" label="To" value={form.to} onChange={(e) => set('to', e.currentTarget.value)} w={150} />
      </Group>
      <QueryState query={q} what="the audit log">
        {entries.length === 0 ? (
          <Text c="dimmed" py="lg">{filtered ? 'No entries match these filters.' : 'Nothing has been recorded yet.'}</Text>
        ) : (
          <Table.ScrollContainer minWidth={820}>
            <Table aria-label="Audit log" striped>
              <Table.Thead>
                <Table.Tr><Table.Th>When</Table.Th><Table.Th>Actor</Table.Th><Table.Th>Action</Table.Th><Table.Th>Resource</Table.Th><Table.Th>Summary</Table.Th></Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {entries.map((e) => (
                  <Table.Tr key={e.id}>
                    <Table.Td style={{ whiteSpace: 'nowrap' }}><Time iso={e.at} absolute /></Table.Td>
                    <Table.Td><Actor actor={e.actor} /></Table.Td>
                    <Table.Td><Code>{e.action}</Code></Table.Td>
                    <Table.Td><Text size="sm">{e.resourceType}{e.resourceId && <Text span size="xs" c="dimmed"> {e.resourceId}</Text>}</Text></Table.Td>
                    <Table.Td><Text size="sm">{e.summary}</Text></Table.Td>
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
