import { useState } from 'react';
import { Alert, Button, Group, PasswordInput, Stack, Text } from '@mantine/core';
import { passwordSchema, PASSWORD_MIN } from '../../../schemas/accounts';
import { useUpdateAccount, type Account } from '../../api/accounts';
import { ApiError, errorMessage } from '../../api/errors';

/** An admin sets a new password for someone who lost theirs: the only way back in without email recovery. */
export function SetPasswordForm({ account, onDone }: { account: Account; onDone: () => void }) {
  const update = useUpdateAccount();
  const [password, setPassword] = useState('');
  const [local, setLocal] = useState<string | null>(null);
  const serverField = update.error instanceof ApiError ? update.error.issues.find((i) => i.path[0] === 'password')?.message : undefined;

  function submit() {
    const parsed = passwordSchema.safeParse(password);
    if (!parsed.success) return setLocal(parsed.error.issues[0]?.message ?? 'Invalid password');
    update.mutate({ id: account.id, password: parsed.data }, { onSuccess: onDone });
  }

  return (
    <Stack component="form" onSubmit={(e) => { e.preventDefault(); submit(); }}>
      <Text size="sm">
        {account.name} signs in with this password from now on; their current sessions end. Share it privately.
      </Text>
      <PasswordInput label="New password" autoComplete="new-password" description={`At least ${PASSWORD_MIN} characters.`}
        value={password} onChange={(e) => { setPassword(e.currentTarget.value); setLocal(null); update.reset(); }}
        error={local ?? serverField} />
      {update.isError && !serverField && <Alert color="red" role="alert" title="Password not set">{errorMessage(update.error)}</Alert>}
      <Group justify="flex-end">
        <Button type="submit" loading={update.isPending}>Set password</Button>
      </Group>
    </Stack>
  );
}
