import { Group, NumberInput, Select, TextInput } from '@mantine/core';
import type { Unit, Window } from '../api/definition';
import { UNITS, WINDOW_TYPES } from './labels';
import { useIssue, type Path } from './issues';

const today = () => new Date().toISOString().slice(0, 10);

function switchType(type: Window['type'], prev: Window | undefined): Window {
  const from = prev && 'from' in prev ? prev.from : today();
  const to = prev && 'to' in prev ? prev.to : today();
  switch (type) {
    case 'all_time': return { type };
    case 'last': return { type, amount: prev?.type === 'last' ? prev.amount : 30, unit: prev?.type === 'last' ? prev.unit : 'day' };
    case 'since': return { type, from };
    case 'until': return { type, to };
    case 'between': return { type, from, to };
  }
}

/** A date window; dates are whole UTC days (`YYYY-MM-DD`), as the spec reads them. */
export function WindowEditor({
  window,
  onChange,
  path,
  label = 'When',
  required = false,
}: {
  window: Window | undefined;
  onChange: (w: Window | undefined) => void;
  path: Path;
  label?: string;
  required?: boolean;
}) {
  const w = window ?? { type: 'all_time' as const };
  const wPath = [...path, 'window'];
  const whole = useIssue(wPath);
  const fromErr = useIssue([...wPath, 'from']);
  const toErr = useIssue([...wPath, 'to']);
  const amountErr = useIssue([...wPath, 'amount']);
  const dateValue = (s: string) => s.slice(0, 10);

  return (
    <Group gap={4} align="flex-start" wrap="wrap">
      <Select
        label={label}
        aria-label={`${label} (time window)`}
        data={WINDOW_TYPES}
        value={w.type}
        allowDeselect={false}
        onChange={(v) => {
          const next = switchType((v ?? 'all_time') as Window['type'], window);
          onChange(next.type === 'all_time' && !required ? undefined : next);
        }}
        error={whole}
        w={150}
      />
      {w.type === 'last' && (
        <>
          <NumberInput label="Amount" aria-label="Window amount" min={1} value={w.amount}
            onChange={(n) => onChange({ ...w, amount: typeof n === 'number' ? n : Number(n) || 1 })} error={amountErr} w={90} />
          <Select label="Unit" aria-label="Window unit" data={UNITS} value={w.unit} allowDeselect={false}
            onChange={(u) => onChange({ ...w, unit: (u ?? 'day') as Unit })} w={120} />
        </>
      )}
      {(w.type === 'since' || w.type === 'between') && (
        <TextInput type="date" label={w.type === 'since' ? 'On or after' : 'From'} aria-label="Window start date" required
          value={dateValue(w.from)} onChange={(e) => onChange({ ...w, from: e.currentTarget.value })} error={fromErr} w={170} />
      )}
      {(w.type === 'until' || w.type === 'between') && (
        <TextInput type="date" label={w.type === 'until' ? 'Before' : 'To (exclusive)'} aria-label="Window end date" required
          value={dateValue(w.to)} onChange={(e) => onChange({ ...w, to: e.currentTarget.value })} error={toErr} w={170} />
      )}
    </Group>
  );
}
