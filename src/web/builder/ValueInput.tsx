import { Autocomplete, Group, NumberInput, Select, TagsInput, TextInput } from '@mantine/core';
import type { Op, Value } from '../api/definition';
import { DATE_OPS, LIST_OPS, NO_VALUE_OPS, NUMERIC_OPS } from './labels';

export type PropType = 'number' | 'string' | 'boolean' | string | undefined;

/** Converts typed text to the JSON value the definition needs, using the property's known type. */
export function coerce(text: string, type: PropType): Value {
  if (type === 'number' && text.trim() !== '' && !Number.isNaN(Number(text))) return Number(text);
  if (type === 'boolean' && (text === 'true' || text === 'false')) return text === 'true';
  return text;
}

/** The right value control for an operator: none, a number, a pair, a list, a date or text. */
export function ValueInput({
  op,
  value,
  onChange,
  type,
  suggestions,
  error,
  label,
}: {
  op: Op;
  value: Value | Value[] | undefined;
  onChange: (v: Value | Value[] | undefined) => void;
  type: PropType;
  suggestions: string[];
  error?: string;
  label: string;
}) {
  if (NO_VALUE_OPS.includes(op)) return null;
  if (op === 'between') {
    const pair = Array.isArray(value) ? value : [];
    const set = (i: number, n: string | number) => {
      const next = [pair[0] ?? '', pair[1] ?? ''];
      next[i] = typeof n === 'number' ? n : n === '' ? '' : Number(n);
      onChange(next as Value[]);
    };
    return (
      <Group gap={4} wrap="nowrap" align="flex-start">
        <NumberInput aria-label={`${label} from`} label="From" value={numOrEmpty(pair[0])} onChange={(n) => set(0, n)} error={error} w={110} />
        <NumberInput aria-label={`${label} to`} label="To" value={numOrEmpty(pair[1])} onChange={(n) => set(1, n)} w={110} />
      </Group>
    );
  }
  if (NUMERIC_OPS.includes(op) || (type === 'number' && (op === 'eq' || op === 'neq'))) {
    return (
      <NumberInput
        label="Value"
        aria-label={label}
        value={numOrEmpty(value)}
        onChange={(n) => onChange(n === '' ? undefined : typeof n === 'number' ? n : Number(n))}
        error={error}
        w={140}
      />
    );
  }
  if (LIST_OPS.includes(op)) {
    const list = Array.isArray(value) ? value.map(String) : value === undefined || value === '' ? [] : [String(value)];
    return (
      <TagsInput
        label="Values"
        aria-label={label}
        placeholder="Type and press Enter"
        data={suggestions}
        value={list}
        onChange={(vs) => onChange(vs.map((v) => coerce(v, type)))}
        error={error}
        w={{ base: '100%', sm: 260 }}
      />
    );
  }
  if (DATE_OPS.includes(op)) {
    return (
      <TextInput type="date" label="Date" aria-label={label} value={typeof value === 'string' ? value.slice(0, 10) : ''}
        onChange={(e) => onChange(e.currentTarget.value)} error={error} w={170} />
    );
  }
  if (type === 'boolean' && (op === 'eq' || op === 'neq')) {
    return (
      <Select label="Value" aria-label={label} data={['true', 'false']} value={value === undefined ? null : String(value)}
        onChange={(v) => onChange(v === null ? undefined : v === 'true')} error={error} w={110} />
    );
  }
  return (
    <Autocomplete
      label="Value"
      aria-label={label}
      data={suggestions}
      value={value === undefined ? '' : String(value)}
      onChange={(t) => onChange(op === 'regex' || op.includes('contains') || op.endsWith('with') ? t : coerce(t, type))}
      error={error}
      w={{ base: '100%', sm: 200 }}
    />
  );
}

function numOrEmpty(v: unknown): number | string {
  return typeof v === 'number' ? v : typeof v === 'string' && v !== '' && !Number.isNaN(Number(v)) ? Number(v) : '';
}
