import { useState } from 'react';
import { Alert, Button, Code, CopyButton, Group, Modal, Paper, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useCreateToken, useMyTokens, useRevokeToken, type ApiTokenInfo, type CreatedToken } from '../../api/accounts';
import { ApiError, errorMessage } from '../../api/errors';
import { QueryState } from '../../components/QueryState';
import { Time } from '../../components/Time';

/** Personal API tokens: act as this account from scripts; the secret is shown once, right after creation. */
export function ApiTokens() {
  const q = useMyTokens();
  const create = useCreateToken();
  const revoke = useRevokeToken();
  const [name, setName] = useState('');
  const [nameError, setNameError] = useState<string | null>(null);
  const [created, setCreated] = useState<CreatedToken | null>(null);
  const [revoking, setRevoking] = useState<ApiTokenInfo | null>(null);
  const serverNameError = create.error instanceof ApiError ? create.error.issues.find((i) => i.path[0] === 'name')?.message : undefined;

  function submit() {
    const n = name.trim();
    if (!n) {
      setNameError('Give the token a name, e.g. what script uses it.');
      return;
    }
    create.mutate(n, { onSuccess: (t) => { setCreated(t); setName(''); } });
  }

  return (
    <Paper withBorder p="md" radius="md">
      <Stack gap="sm">
        <Title order={3} size="h4">Personal API tokens</Title>
        <Text size="sm" c="dimmed">
          A token acts as you, with your role, for the management API: send it as <Code>Authorization: Bearer &lt;token&gt;</Code>.
          Revoke a token as soon as it is no longer needed.
        </Text>
        <Group align="flex-start" component="form" onSubmit={(e) => { e.preventDefault(); submit(); }}>
          <TextInput label="Token name" placeholder="nightly export script" value={name} maw={320} style={{ flex: 1 }}
            onChange={(e) => { setName(e.currentTarget.value); setNameError(null); }} error={nameError ?? serverNameError} />
          <Button type="submit" mt={25} loading={create.isPending}>Create token</Button>
        </Group>
        {create.isError && !serverNameError && <Alert color="red" role="alert" title="Could not create the token">{errorMessage(create.error)}</Alert>}
        <QueryState query={q} what="API tokens">
          {(q.data ?? []).length === 0 ? (
            <Text size="sm" c="dimmed">You have no API tokens.</Text>
          ) : (
            <Table.ScrollContainer minWidth={520}>
              <Table aria-label="API tokens">
                <Table.Thead>
                  <Table.Tr><Table.Th>Name</Table.Th><Table.Th>Created</Table.Th><Table.Th>Last used</Table.Th><Table.Th /></Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {q.data!.map((t) => (
                    <Table.Tr key={t.id}>
                      <Table.Td fw={500}>{t.name}</Table.Td>
                      <Table.Td><Time iso={t.createdAt} /></Table.Td>
                      <Table.Td><Time iso={t.lastUsedAt} /></Table.Td>
                      <Table.Td ta="right">
                        <Button size="xs" variant="subtle" color="red" aria-label={`Revoke ${t.name}`} onClick={() => { revoke.reset(); setRevoking(t); }}>Revoke</Button>
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          )}
        </QueryState>
      </Stack>
      {/* Shown once: only Done closes it, so a stray click or Escape cannot lose the token. */}
      <Modal opened={created !== null} onClose={() => setCreated(null)} closeOnClickOutside={false} closeOnEscape={false}
        title={`Token ${created?.name ?? ''} created`}>
        <Stack>
          <Text size="sm">Copy the token now: it is shown only once. Kohort keeps only a hash of it.</Text>
          <Code block data-testid="new-token" style={{ wordBreak: 'break-all' }}>{created?.token}</Code>
          <Group justify="space-between">
            <CopyButton value={created?.token ?? ''}>
              {({ copied, copy }) => <Button onClick={copy} color={copied ? 'teal' : undefined}>{copied ? 'Copied' : 'Copy token'}</Button>}
            </CopyButton>
            <Button variant="default" onClick={() => setCreated(null)}>Done</Button>
          </Group>
        </Stack>
      </Modal>
      <Modal opened={revoking !== null} onClose={() => setRevoking(null)} title={`Revoke ${revoking?.name ?? ''}?`}>
        <Stack>
          <Text size="sm">Anything still using this token is refused from now on. This cannot be undone.</Text>
          {revoke.isError && <Alert color="red" role="alert" title="Could not revoke the token">{errorMessage(revoke.error)}</Alert>}
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setRevoking(null)}>Cancel</Button>
            <Button color="red" loading={revoke.isPending}
              onClick={() => revoking && revoke.mutate(revoking.id, { onSuccess: () => setRevoking(null) })}>Revoke token</Button>
          </Group>
        </Stack>
      </Modal>
    </Paper>
  );
}
