import { useState } from 'react';
import { Alert, Button, Group, PasswordInput, Select, Stack, TextInput } from '@mantine/core';
import { createAccountSchema, PASSWORD_MIN } from '../../../schemas/accounts';
import type { Role } from '../../../schemas/principal';
import { useCreateAccount, type Account } from '../../api/accounts';
import { ApiError, errorMessage } from '../../api/errors';
import { ROLE_LABELS } from '../../auth/permissions';

type Field = 'email' | 'name' | 'role' | 'password';

/** Adds an account with an initial password the admin hands over; the same rules as the server check it first. */
export function AddAccountForm({ roles, onDone }: { roles: Role[]; onDone: (a: Account) => void }) {
  const create = useCreateAccount();
  const [values, setValues] = useState({ email: '', name: '', role: 'member' as Role, password: '' });
  const [local, setLocal] = useState<Partial<Record<Field, string>>>({});
  const set = (k: Field, v: string) => {
    setValues((s) => ({ ...s, [k]: v }));
    setLocal((s) => ({ ...s, [k]: undefined }));
  };

  const err = create.error;
  const serverIssues = err instanceof ApiError ? err.issues : [];
  const fieldError = (k: Field) =>
    local[k] ??
    (err instanceof ApiError && err.code === 'account_exists' && k === 'email' ? err.message : undefined) ??
    serverIssues.find((i) => i.path[0] === k)?.message;
  const general = err && !(err instanceof ApiError && (err.code === 'account_exists' || serverIssues.some((i) => typeof i.path[0] === 'string'))) ? err : null;

  function submit() {
    const parsed = createAccountSchema.safeParse(values);
    if (!parsed.success) {
      const next: Partial<Record<Field, string>> = {};
      for (const i of parsed.error.issues) next[i.path[0] as Field] ??= i.message;
      setLocal(next);
      return;
    }
    create.mutate(parsed.data, { onSuccess: onDone });
  }

  return (
    <Stack component="form" onSubmit={(e) => { e.preventDefault(); submit(); }}>
      <TextInput label="Email" type="email" required autoComplete="off" value={values.email}
        onChange={(e) => set('email', e.currentTarget.value)} error={fieldError('email')} />
      <TextInput label="Name" required value={values.name} onChange={(e) => set('name', e.currentTarget.value)} error={fieldError('name')} />
      <Select label="Role" data={roles.map((r) => ({ value: r, label: ROLE_LABELS[r] }))} value={values.role} allowDeselect={false}
        onChange={(v) => v && set('role', v)} error={fieldError('role')} />
      <PasswordInput label="Initial password" required autoComplete="new-password" value={values.password}
        description={`At least ${PASSWORD_MIN} characters. Share it privately; they can change it on their profile.`}
        onChange={(e) => set('password', e.currentTarget.value)} error={fieldError('password')} />
      {general && <Alert color="red" role="alert" title="Could not add the account">{errorMessage(general)}</Alert>}
      <Group justify="flex-end">
        <Button type="submit" loading={create.isPending}>Add account</Button>
      </Group>
    </Stack>
  );
}
