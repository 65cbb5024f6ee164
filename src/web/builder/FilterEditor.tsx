import { ActionIcon, Autocomplete, Group, Select, Text } from '@mantine/core';
import type { Filter, Op } from '../api/definition';
import { FILTER_OPS } from './labels';
import { patched, valueForOp } from './patch';
import { useIssue, type Path } from './issues';
import { useContext } from 'react';
import { CatalogContext, useValueSuggestions } from './useEventCatalog';
import { ValueInput } from './ValueInput';

export function FilterEditor({
  filter,
  onChange,
  onRemove,
  path,
  event,
  properties,
}: {
  filter: Filter;
  onChange: (f: Filter) => void;
  onRemove: () => void;
  path: Path;
  event: string;
  properties: { name: string; type: string }[];
}) {
  const type = properties.find((p) => p.name === filter.property)?.type;
  const typed = typeof filter.value === 'string' ? filter.value : '';
  const suggestions = useValueSuggestions(event, filter.property, typed);
  const unknownProp = useContext(CatalogContext)?.unknownProperty(event, filter.property);
  const propError = useIssue([...path, 'property']);
  const opError = useIssue([...path, 'op']);
  const valueIssue = useIssue([...path, 'value']);
  const filterIssue = useIssue(path);
  const valueError = valueIssue ?? filterIssue;


  return (
    <Group gap="xs" align="flex-start" wrap="wrap" role="group" aria-label={`Filter on ${filter.property || 'a property'}`}>
      <Autocomplete
        label="Property"
        aria-label="Property"
        placeholder="e.g. brand"
        data={properties.map((p) => p.name)}
        value={filter.property}
        onChange={(property) => onChange({ ...filter, property })}
        error={propError}
        description={unknownProp && <Text component="span" size="xs" c="orange.8" role="status">⚠ {unknownProp}</Text>}
        w={{ base: '100%', sm: 180 }}
      />
      <Select
        label="Operator"
        aria-label="Operator"
        data={FILTER_OPS}
        value={filter.op}
        onChange={(v) => v && onChange(patched(filter, { op: v as Op, value: valueForOp(v as Op, filter.value) }))}
        allowDeselect={false}
        error={opError}
        w={150}
      />
      <ValueInput
        op={filter.op}
        value={filter.value}
        onChange={(value) => onChange(patched(filter, { value }))}
        type={type}
        suggestions={suggestions}
        error={valueError}
        label={`Value of ${filter.property || 'property'}`}
      />
      <ActionIcon variant="subtle" color="gray" mt={26} onClick={onRemove} aria-label={`Remove filter on ${filter.property || 'property'}`}>
        ✕
      </ActionIcon>
    </Group>
  );
}
