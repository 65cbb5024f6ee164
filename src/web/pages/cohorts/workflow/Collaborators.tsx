import { useState } from 'react';
import { ActionIcon, Alert, Button, Group, Select, Stack, Table, Text } from '@mantine/core';
import { useAccounts } from '../../../api/accounts';
import { useCollaborators, useRemoveCollaborator, useSetCollaborator, type Collaborator } from '../../../api/collaborators';
import { errorMessage } from '../../../api/errors';
import { QueryState } from '../../../components/QueryState';
import type { CollaboratorRole } from '../../../../schemas/principal';

const ROLES = [
  { value: 'editor', label: 'Editor (can change it)' },
  { value: 'viewer', label: 'Viewer (read only)' },
];

/**
 * The people a cohort is shared with. Inviting and changing roles are for the
 * cohort's owner and admins (`canManage`); everyone else sees the list only.
 */
export function Collaborators({ cohortId, ownerId, canManage }: { cohortId: string; ownerId?: string | null; canManage: boolean }) {
  const q = useCollaborators(cohortId);
  const set = useSetCollaborator(cohortId);
  const remove = useRemoveCollaborator(cohortId);
  const list = q.data ?? [];
  const error = set.error ?? remove.error;

  return (
    <Stack gap="sm">
      {canManage && <InviteForm cohortId={cohortId} ownerId={ownerId} invited={list} />}
      {error && <Alert color="red" role="alert">{errorMessage(error)}</Alert>}
      <QueryState query={q} what="collaborators">
        {list.length === 0 ? (
          <Text size="sm" c="dimmed">Nobody else works on this cohort yet.</Text>
        ) : (
          <Table aria-label="Collaborators">
            <Table.Thead>
              <Table.Tr><Table.Th>Name</Table.Th><Table.Th>Email</Table.Th><Table.Th>Role</Table.Th>{canManage && <Table.Th />}</Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {list.map((c) => (
                <Table.Tr key={c.accountId}>
                  <Table.Td>{c.name}</Table.Td>
                  <Table.Td>{c.email}</Table.Td>
                  <Table.Td>
                    {canManage ? (
                      <Select aria-label={`Role of ${c.email}`} data={ROLES} value={c.role} allowDeselect={false} w={200} size="xs"
                        onChange={(v) => v && v !== c.role && set.mutate({ accountId: c.accountId, role: v as CollaboratorRole })} />
                    ) : c.role}
                  </Table.Td>
                  {canManage && (
                    <Table.Td>
                      <ActionIcon variant="subtle" color="red" aria-label={`Remove ${c.email}`}
                        loading={remove.isPending && remove.variables === c.accountId}
                        onClick={() => remove.mutate(c.accountId)}>✕</ActionIcon>
                    </Table.Td>
                  )}
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
      </QueryState>
    </Stack>
  );
}

function InviteForm({ cohortId, ownerId, invited }: { cohortId: string; ownerId?: string | null; invited: Collaborator[] }) {
  const accounts = useAccounts();
  const set = useSetCollaborator(cohortId);
  const [accountId, setAccountId] = useState<string | null>(null);
  const [role, setRole] = useState<CollaboratorRole>('editor');
  const taken = new Set([...invited.map((c) => c.accountId), ...(ownerId ? [ownerId] : [])]);
  const options = (accounts.data ?? [])
    .filter((a) => !a.disabled && !taken.has(a.id))
    .map((a) => ({ value: a.id, label: `${a.name} <${a.email}>` }));

  return (
    <Group align="flex-end" gap="sm" component="form"
      onSubmit={(e) => {
        e.preventDefault();
        if (accountId) set.mutate({ accountId, role }, { onSuccess: () => setAccountId(null) });
      }}>
      <Select label="Invite" aria-label="Account to invite" placeholder={accounts.isPending ? 'Loading…' : 'Choose an account'}
        data={options} value={accountId} onChange={setAccountId} searchable w={{ base: '100%', sm: 320 }}
        nothingFoundMessage="No other account" error={accounts.isError ? errorMessage(accounts.error) : undefined} />
      <Select label="Role" aria-label="Collaborator role" data={ROLES} value={role} allowDeselect={false} w={200}
        onChange={(v) => setRole((v ?? 'editor') as CollaboratorRole)} />
      <Button type="submit" disabled={!accountId} loading={set.isPending}>Invite</Button>
      {set.isError && <Text size="sm" c="red" role="alert">{errorMessage(set.error)}</Text>}
    </Group>
  );
}
