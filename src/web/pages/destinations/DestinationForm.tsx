import { useState } from 'react';
import { Alert, Button, Group, PasswordInput, Select, Stack, TextInput } from '@mantine/core';
import { useSaveDestination } from '../../api/destinations';
import { ApiError, errorMessage } from '../../api/errors';
import { SECRET_MASK, type Destination, type DestinationType } from '../../api/types';
import { DESTINATION_FORMS, TYPE_OPTIONS } from './fields';

/**
 * Create (no `existing`) or edit a destination. Secrets are never prefilled:
 * on edit an empty secret field means "keep the stored one" and is not sent.
 */
export function DestinationForm({ existing, onDone }: {
  existing?: Destination;
  onDone: (d: Destination & { generatedSecret?: string }) => void;
}) {
  const save = useSaveDestination(existing?.id);
  const [type, setType] = useState<DestinationType>(existing?.type ?? 'webhook');
  const [name, setName] = useState(existing?.name ?? '');
  const initial = Object.fromEntries(
    Object.entries(existing?.config ?? {}).map(([k, v]) => [k, v === SECRET_MASK ? '' : v == null ? '' : String(v)]),
  );
  const [values, setValues] = useState<Record<string, string>>(initial);
  const form = DESTINATION_FORMS[type];

  const issues = save.error instanceof ApiError ? save.error.issues : [];
  const fieldError = (key: string) =>
    issues.find((i) => (i.path[0] === 'config' && i.path[1] === key) || (i.path.length === 1 && i.path[0] === key))?.message;
  const generalError = save.error && (issues.length === 0 || !(save.error instanceof ApiError)) ? save.error : null;

  const checkProblem = (key: string) => {
    const f = form.fields.find((x) => x.key === key);
    const v = (values[key] ?? '').trim();
    return f?.check && v ? f.check(v) : null;
  };

  function submit() {
    if (form.fields.some((f) => checkProblem(f.key))) return;
    const config: Record<string, unknown> = {};
    for (const f of form.fields) {
      const v = (values[f.key] ?? '').trim();
      if (existing) {
        if (f.kind === 'secret') { if (v) config[f.key] = v; continue; }
        const before = initial[f.key] ?? '';
        if (v !== before) config[f.key] = v === '' ? null : v;
      } else if (v) {
        config[f.key] = v;
      }
    }
    const body = existing ? { name: name.trim(), config } : { name: name.trim(), type, config };
    save.mutate(body, { onSuccess: (d) => onDone(d as Destination & { generatedSecret?: string }) });
  }

  return (
    <Stack component="form" onSubmit={(e) => { e.preventDefault(); submit(); }}>
      <TextInput label="Name" aria-label="Destination name" required value={name} onChange={(e) => setName(e.currentTarget.value)} error={fieldError('name')} />
      <Select label="Type" aria-label="Destination type" data={TYPE_OPTIONS} value={type} allowDeselect={false}
        disabled={!!existing} onChange={(v) => { if (v) { setType(v as DestinationType); save.reset(); } }} />
      {form.fields.map((f) => {
        const common = {
          key: `${type}-${f.key}`,
          label: f.label,
          'aria-label': f.label,
          required: f.required && !(existing && f.kind === 'secret'),
          description: f.description,
          error: fieldError(f.key) ?? checkProblem(f.key) ?? undefined,
        };
        const value = values[f.key] ?? '';
        const set = (v: string) => setValues((s) => ({ ...s, [f.key]: v }));
        if (f.kind === 'select') {
          return <Select {...common} data={f.options ?? []} value={value || null} onChange={(v) => set(v ?? '')} />;
        }
        if (f.kind === 'secret') {
          const stored = existing?.config[f.key] === SECRET_MASK;
          return (
            <PasswordInput {...common} autoComplete="off" value={value} onChange={(e) => set(e.currentTarget.value)}
              placeholder={stored ? `${SECRET_MASK} (stored; type to replace)` : f.placeholder} />
          );
        }
        return <TextInput {...common} value={value} placeholder={f.placeholder} onChange={(e) => set(e.currentTarget.value)} />;
      })}
      {generalError && <Alert color="red" role="alert" title="Could not save">{errorMessage(generalError)}</Alert>}
      <Group justify="flex-end">
        <Button type="submit" loading={save.isPending}>{existing ? 'Save changes' : 'Create destination'}</Button>
      </Group>
    </Stack>
  );
}
