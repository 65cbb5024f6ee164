import { Autocomplete, Group, Select } from '@mantine/core';
import type { Op, PropertyRule } from '../api/definition';
import { FILTER_OPS } from './labels';
import { patched, valueForOp } from './patch';
import { useIssue, type Path } from './issues';
import { RuleCard } from './RuleCard';
import { useTraitNames, useValueSuggestions } from './useEventCatalog';
import { ValueInput } from './ValueInput';

/** A user property (trait) condition: trait names and their current values are suggested from what people have. */
export function PropertyRuleEditor({ rule, onChange, onRemove, path }: {
  rule: PropertyRule; onChange: (r: PropertyRule) => void; onRemove?: () => void; path: Path;
}) {
  const propErr = useIssue([...path, 'property']);
  const valueIssue = useIssue([...path, 'value']);
  const set = (patch: Partial<PropertyRule>) => onChange(patched(rule, patch));
  const traits = useTraitNames();
  const suggestions = useValueSuggestions(null, rule.property, typeof rule.value === 'string' ? rule.value : '');
  const type = traits.find((t) => t.name === rule.property)?.type;
  return (
    <RuleCard title="User property" path={path} claimed={['property', 'op', 'value', 'negate', 'type']} onRemove={onRemove}>
      <Group gap="xs" align="flex-start" wrap="wrap">
        <Select label="User" aria-label="Property condition holds or not" w={120} allowDeselect={false}
          data={[{ value: 'has', label: 'has' }, { value: 'not', label: 'does not have' }]}
          value={rule.negate ? 'not' : 'has'} onChange={(v) => set({ negate: v === 'not' ? true : undefined })} />
        <Autocomplete label="Property" aria-label="User property" placeholder="e.g. plan" value={rule.property}
          data={traits.map((t) => t.name)} onChange={(property) => set({ property })} error={propErr} w={{ base: '100%', sm: 180 }} />
        <Select label="Operator" aria-label="User property operator" data={FILTER_OPS} value={rule.op} allowDeselect={false}
          onChange={(v) => v && set({ op: v as Op, value: valueForOp(v as Op, rule.value) })} w={150} />
        <ValueInput op={rule.op} value={rule.value} type={type} suggestions={suggestions} error={valueIssue}
          label={`Value of ${rule.property || 'user property'}`} onChange={(value) => set({ value })} />
      </Group>
    </RuleCard>
  );
}
