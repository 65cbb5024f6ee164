import { Group, NumberInput, Select, Text } from '@mantine/core';
import type { CmpOp, Compare } from '../api/definition';
import { COUNT_OPS } from './labels';
import { useIssue, type Path } from './issues';

/** A comparison to a number or a range: counts and aggregates share it. */
export function CompareInputs({
  op,
  value,
  onChange,
  path,
  label,
}: {
  op: CmpOp;
  value: number | [number, number];
  onChange: (c: Compare) => void;
  path: Path;
  label: string;
}) {
  const valueIssue = useIssue([...path, 'value']);
  const wholeIssue = useIssue(path);
  const error = valueIssue ?? wholeIssue;
  const pair: [number, number] = Array.isArray(value) ? value : [value, value];
  const toNum = (n: string | number) => (typeof n === 'number' ? n : Number(n) || 0);
  return (
    <Group gap={4} align="flex-start" wrap="nowrap">
      <Select
        aria-label={`${label} comparison`}
        data={COUNT_OPS}
        value={op}
        allowDeselect={false}
        onChange={(v) => {
          const nop = (v ?? 'gte') as CmpOp;
          onChange({ op: nop, value: nop === 'between' ? pair : Array.isArray(value) ? value[0] : value });
        }}
        w={130}
      />
      {op === 'between' ? (
        <>
          <NumberInput aria-label={`${label} from`} value={pair[0]} min={0} onChange={(n) => onChange({ op, value: [toNum(n), pair[1]] })} error={error} w={90} />
          <Text size="sm" mt={6}>and</Text>
          <NumberInput aria-label={`${label} to`} value={pair[1]} min={0} onChange={(n) => onChange({ op, value: [pair[0], toNum(n)] })} w={90} />
        </>
      ) : (
        <NumberInput aria-label={label} value={value as number} onChange={(n) => onChange({ op, value: toNum(n) })} error={error} w={100} />
      )}
    </Group>
  );
}

export function CountEditor({
  count,
  countBy,
  onChange,
  path,
}: {
  count: Compare | undefined;
  countBy: 'events' | 'days' | undefined;
  onChange: (count: Compare, countBy: 'events' | 'days') => void;
  path: Path;
}) {
  const c = count ?? { op: 'gte', value: 1 };
  const by = countBy ?? 'events';
  return (
    <Group gap="xs" align="flex-start" wrap="wrap">
      <Text size="sm" mt={6}>Count</Text>
      <CompareInputs op={c.op} value={c.value} path={[...path, 'count']} label="Count" onChange={(nc) => onChange(nc, by)} />
      <Select
        aria-label="Count by"
        data={[{ value: 'events', label: 'times' }, { value: 'days', label: 'distinct days' }]}
        value={by}
        allowDeselect={false}
        onChange={(v) => onChange(c, (v ?? 'events') as 'events' | 'days')}
        w={140}
      />
    </Group>
  );
}
