import { useState } from 'react';
import { Alert, Badge, Button, Group, Modal, Select, Stack, Table, Text, Title } from '@mantine/core';
import type { Role } from '../../../schemas/principal';
import { useAccounts, useDeleteAccount, useUpdateAccount, type Account } from '../../api/accounts';
import { ApiError, errorMessage } from '../../api/errors';
import { Guard } from '../../auth/Guard';
import { REASONS, ROLE_LABELS, useCan } from '../../auth/permissions';

const SELF_REASON = 'This is your own account: change your password on your Profile page; another admin can disable or delete it.';
import { QueryState } from '../../components/QueryState';
import { Time } from '../../components/Time';
import { AddAccountForm } from './AddAccountForm';
import { SetPasswordForm } from './SetPasswordForm';

/** A refused change, worded for the case the server singles out (the last owner). */
function ChangeError({ error, onClose }: { error: unknown; onClose: () => void }) {
  const lastOwner = error instanceof ApiError && error.code === 'last_owner';
  return (
    <Alert color={lastOwner ? 'yellow' : 'red'} role="alert" withCloseButton onClose={onClose}
      title={lastOwner ? 'The last owner must stay an enabled owner' : 'Could not change the account'}>
      {errorMessage(error)}
    </Alert>
  );
}

export function AccountsPage() {
  const q = useAccounts();
  const can = useCan();
  const update = useUpdateAccount();
  const del = useDeleteAccount();
  const [adding, setAdding] = useState(false);
  const [deleting, setDeleting] = useState<Account | null>(null);
  const [resetting, setResetting] = useState<Account | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const myId = can.me.account?.id;

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>Team</Title>
        {can.canManageAccounts && <Button onClick={() => { setNotice(null); setAdding(true); }}>Add account</Button>}
      </Group>
      {!can.canManageAccounts && (
        <Text size="sm" c="dimmed">You can see who is on the team. {REASONS.admin.replace('do this', 'add or change accounts')}</Text>
      )}
      {notice && <Alert color="green" role="status" withCloseButton onClose={() => setNotice(null)}>{notice}</Alert>}
      {update.isError && <ChangeError error={update.error} onClose={() => update.reset()} />}
      {del.isError && !deleting && <ChangeError error={del.error} onClose={() => del.reset()} />}
      <QueryState query={q} what="accounts">
        {(q.data ?? []).length === 0 ? (
          <Text c="dimmed" py="lg">No accounts yet. Add the first owner; until then the admin token is the only way in.</Text>
        ) : (
          <Table.ScrollContainer minWidth={820}>
            <Table aria-label="Accounts" striped>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Name</Table.Th><Table.Th>Email</Table.Th><Table.Th>Role</Table.Th><Table.Th>Status</Table.Th>
                  <Table.Th>Last sign-in</Table.Th><Table.Th>Added</Table.Th>{can.canManageAccounts && <Table.Th />}
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {q.data!.map((a) => {
                  const manageable = can.canManageAccount(a);
                  // Disabling, resetting or deleting yourself here would end your own session.
                  const self = a.id === myId;
                  const busy = update.isPending && update.variables?.id === a.id;
                  return (
                    <Table.Tr key={a.id}>
                      <Table.Td fw={500}>{a.name}{a.id === myId && <Text span size="xs" c="dimmed"> (you)</Text>}</Table.Td>
                      <Table.Td>{a.email}</Table.Td>
                      <Table.Td>
                        {can.canManageAccounts ? (
                          <Guard allowed={manageable} reason={REASONS.owners}>
                            <Select size="xs" w={120} aria-label={`Role of ${a.email}`} allowDeselect={false}
                              // An owner shown to an admin keeps its label even though admins cannot grant it.
                              data={(manageable ? can.grantableRoles : [a.role]).map((r) => ({ value: r, label: ROLE_LABELS[r] }))}
                              value={a.role} disabled={busy}
                              onChange={(v) => v && v !== a.role && update.mutate({ id: a.id, role: v as Role })} />
                          </Guard>
                        ) : (
                          <Badge variant="light" tt="none">{ROLE_LABELS[a.role]}</Badge>
                        )}
                      </Table.Td>
                      <Table.Td>{a.disabled ? <Badge color="gray">Disabled</Badge> : <Badge color="teal" variant="light">Active</Badge>}</Table.Td>
                      <Table.Td><Time iso={a.lastLoginAt} /></Table.Td>
                      <Table.Td><Time iso={a.createdAt} /></Table.Td>
                      {can.canManageAccounts && (
                        <Table.Td>
                          <Group gap={4} wrap="nowrap" justify="flex-end">
                            <Guard allowed={manageable && !self} reason={self ? SELF_REASON : REASONS.owners}>
                              <Button size="xs" variant="default" loading={busy && update.variables?.disabled !== undefined}
                                aria-label={`${a.disabled ? 'Enable' : 'Disable'} ${a.email}`}
                                onClick={() => update.mutate({ id: a.id, disabled: !a.disabled })}>
                                {a.disabled ? 'Enable' : 'Disable'}
                              </Button>
                            </Guard>
                            <Guard allowed={manageable && !self} reason={self ? SELF_REASON : REASONS.owners}>
                              <Button size="xs" variant="default" aria-label={`Set a password for ${a.email}`}
                                onClick={() => setResetting(a)}>Set password</Button>
                            </Guard>
                            <Guard allowed={manageable && !self} reason={self ? SELF_REASON : REASONS.owners}>
                              <Button size="xs" variant="subtle" color="red" aria-label={`Delete ${a.email}`}
                                onClick={() => { del.reset(); setDeleting(a); }}>Delete</Button>
                            </Guard>
                          </Group>
                        </Table.Td>
                      )}
                    </Table.Tr>
                  );
                })}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </QueryState>
      <Modal opened={adding} onClose={() => setAdding(false)} title="Add account">
        {adding && <AddAccountForm roles={can.grantableRoles} onDone={(a) => {
          setAdding(false);
          setNotice(`${a.email} was added as ${ROLE_LABELS[a.role].toLowerCase()}. They sign in with the initial password you chose.`);
        }} />}
      </Modal>
      <Modal opened={resetting !== null} onClose={() => setResetting(null)} title={`New password for ${resetting?.email ?? ''}`}>
        {resetting && <SetPasswordForm account={resetting} onDone={() => {
          setNotice(`${resetting.email} has a new password; their sessions were ended.`);
          setResetting(null);
        }} />}
      </Modal>
      <Modal opened={deleting !== null} onClose={() => setDeleting(null)} title={`Delete ${deleting?.email ?? ''}?`}>
        <Stack>
          <Text size="sm">
            The account is removed and its sessions and API tokens stop working at once. This cannot be undone;
            to keep the account for later, disable it instead.
          </Text>
          {del.isError && <ChangeError error={del.error} onClose={() => del.reset()} />}
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setDeleting(null)}>Cancel</Button>
            <Button color="red" loading={del.isPending}
              onClick={() => deleting && del.mutate(deleting.id, { onSuccess: () => setDeleting(null) })}>Delete account</Button>
          </Group>
        </Stack>
      </Modal>
    </Stack>
  );
}
