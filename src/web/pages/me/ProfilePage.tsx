import { useState } from 'react';
import { Alert, Badge, Button, Group, Paper, PasswordInput, Stack, Text, TextInput, Title } from '@mantine/core';
import { accountNameSchema, passwordSchema, PASSWORD_MIN } from '../../../schemas/accounts';
import { useUpdateMe, type Account } from '../../api/accounts';
import { ApiError, errorMessage } from '../../api/errors';
import { ROLE_LABELS, useCan } from '../../auth/permissions';
import { Link } from '../../router';
import { ApiTokens } from './ApiTokens';

function NameForm({ account }: { account: Account }) {
  const save = useUpdateMe();
  const [name, setName] = useState(account.name);
  const [error, setError] = useState<string | null>(null);
  function submit() {
    const parsed = accountNameSchema.safeParse(name);
    if (!parsed.success) return setError(parsed.error.issues[0]?.message ?? 'Invalid name');
    save.mutate({ name: parsed.data });
  }
  return (
    <Group align="flex-start" component="form" onSubmit={(e) => { e.preventDefault(); submit(); }}>
      <TextInput label="Name" value={name} maw={320} style={{ flex: 1 }} error={error ?? (save.isError ? errorMessage(save.error) : undefined)}
        onChange={(e) => { setName(e.currentTarget.value); setError(null); save.reset(); }} />
      <Button type="submit" mt={25} variant="default" loading={save.isPending} disabled={name.trim() === account.name}>Save name</Button>
      {save.isSuccess && <Text mt={32} size="sm" c="teal" role="status">Saved.</Text>}
    </Group>
  );
}

type PwField = 'currentPassword' | 'password' | 'confirm';

/** A new password needs the current one; other sessions end, this one stays. */
function PasswordForm() {
  const save = useUpdateMe();
  const [v, setV] = useState<Record<PwField, string>>({ currentPassword: '', password: '', confirm: '' });
  const [local, setLocal] = useState<Partial<Record<PwField, string>>>({});
  const set = (k: PwField, value: string) => { setV((s) => ({ ...s, [k]: value })); setLocal((s) => ({ ...s, [k]: undefined })); save.reset(); };
  const issues = save.error instanceof ApiError ? save.error.issues : [];
  const fieldError = (k: PwField) => local[k] ?? issues.find((i) => i.path[0] === k)?.message;
  const general = save.error && issues.length === 0 ? save.error : null;

  function submit() {
    const next: Partial<Record<PwField, string>> = {};
    if (!v.currentPassword) next.currentPassword = 'Enter your current password';
    const pw = passwordSchema.safeParse(v.password);
    if (!pw.success) next.password = pw.error.issues[0]?.message;
    else if (v.confirm !== v.password) next.confirm = 'The two new passwords differ';
    if (Object.keys(next).length) return setLocal(next);
    save.mutate({ currentPassword: v.currentPassword, password: v.password }, {
      onSuccess: () => setV({ currentPassword: '', password: '', confirm: '' }),
    });
  }

  return (
    <Stack gap="xs" component="form" maw={360} onSubmit={(e) => { e.preventDefault(); submit(); }}>
      <PasswordInput label="Current password" autoComplete="current-password" value={v.currentPassword}
        onChange={(e) => set('currentPassword', e.currentTarget.value)} error={fieldError('currentPassword')} />
      <PasswordInput label="New password" autoComplete="new-password" description={`At least ${PASSWORD_MIN} characters.`}
        value={v.password} onChange={(e) => set('password', e.currentTarget.value)} error={fieldError('password')} />
      <PasswordInput label="Repeat the new password" autoComplete="new-password" value={v.confirm}
        onChange={(e) => set('confirm', e.currentTarget.value)} error={fieldError('confirm')} />
      {general && <Alert color="red" role="alert" title="Password not changed">{errorMessage(general)}</Alert>}
      {save.isSuccess && <Alert color="teal" role="status">Password changed. Your other sessions were signed out.</Alert>}
      <Group><Button type="submit" loading={save.isPending}>Change password</Button></Group>
    </Stack>
  );
}

export function ProfilePage() {
  const { me, role } = useCan();
  if (!me.account) {
    return (
      <Stack>
        <Title order={2}>Profile</Title>
        <Alert color="blue" title="Signed in with the admin token">
          The bootstrap admin token has no profile, password or API tokens. Add an account on the{' '}
          <Link to="/team">Team page</Link>, then sign in with its email and password.
        </Alert>
      </Stack>
    );
  }
  const a = me.account;
  return (
    <Stack>
      <Title order={2}>Profile</Title>
      <Paper withBorder p="md" radius="md">
        <Stack gap="sm">
          <Group gap="xs">
            <Text fw={500}>{a.email}</Text>
            <Badge variant="light">{ROLE_LABELS[role]}</Badge>
          </Group>
          <NameForm key={a.id} account={a} />
        </Stack>
      </Paper>
      <Paper withBorder p="md" radius="md">
        <Title order={3} size="h4" mb="sm">Password</Title>
        <PasswordForm />
      </Paper>
      <ApiTokens />
    </Stack>
  );
}
