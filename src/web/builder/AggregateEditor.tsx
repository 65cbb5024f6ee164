import { ActionIcon, Autocomplete, Button, Group, Select } from '@mantine/core';
import type { Aggregate } from '../api/definition';
import { CompareInputs } from './CountEditor';
import { AGGREGATE_FNS } from './labels';
import { useIssue, type Path } from './issues';

export function AggregateEditor({
  aggregate,
  onChange,
  path,
  properties,
}: {
  aggregate: Aggregate | undefined;
  onChange: (a: Aggregate | undefined) => void;
  path: Path;
  properties: { name: string; type: string }[];
}) {
  const aPath = [...path, 'aggregate'];
  const propErr = useIssue([...aPath, 'property']);
  if (!aggregate) {
    return (
      <Group>
        <Button size="xs" variant="light" onClick={() => onChange({ fn: 'sum', property: '', op: 'gt', value: 0 })}>
          + Aggregate of a property
        </Button>
      </Group>
    );
  }
  return (
    <Group gap={4} align="flex-start" wrap="wrap" role="group" aria-label="Aggregate">
      <Select aria-label="Aggregate function" data={AGGREGATE_FNS} value={aggregate.fn} allowDeselect={false}
        onChange={(v) => onChange({ ...aggregate, fn: (v ?? 'sum') as Aggregate['fn'] })} w={160} />
      <Autocomplete aria-label="Aggregated property" placeholder="property" error={propErr}
        data={properties.filter((p) => aggregate.fn === 'distinct' || p.type === 'number').map((p) => p.name)}
        value={aggregate.property} onChange={(property) => onChange({ ...aggregate, property })} w={160} />
      <CompareInputs op={aggregate.op} value={aggregate.value} path={aPath} label="Aggregate"
        onChange={(c) => onChange({ ...aggregate, op: c.op, value: c.value })} />
      <ActionIcon variant="subtle" color="gray" mt={6} aria-label="Remove aggregate" onClick={() => onChange(undefined)}>✕</ActionIcon>
    </Group>
  );
}
