import { Group, Select, TextInput } from '@mantine/core';
import type { Op, PropertyRule } from '../api/definition';
import { FILTER_OPS } from './labels';
import { patched, valueForOp } from './patch';
import { useIssue, type Path } from './issues';
import { RuleCard } from './RuleCard';
import { ValueInput } from './ValueInput';

/** A user property (trait) condition. Trait names are free text: the API has no list of them. */
export function PropertyRuleEditor({ rule, onChange, onRemove, path }: {
  rule: PropertyRule; onChange: (r: PropertyRule) => void; onRemove?: () => void; path: Path;
}) {
  const propErr = useIssue([...path, 'property']);
  const valueIssue = useIssue([...path, 'value']);
  const set = (patch: Partial<PropertyRule>) => onChange(patched(rule, patch));
  return (
    <RuleCard title="User property" path={path} claimed={['property', 'op', 'value', 'negate', 'type']} onRemove={onRemove}>
      <Group gap="xs" align="flex-start" wrap="wrap">
        <Select label="User" aria-label="Property condition holds or not" w={120} allowDeselect={false}
          data={[{ value: 'has', label: 'has' }, { value: 'not', label: 'does not have' }]}
          value={rule.negate ? 'not' : 'has'} onChange={(v) => set({ negate: v === 'not' ? true : undefined })} />
        <TextInput label="Property" aria-label="User property" placeholder="e.g. plan" value={rule.property}
          onChange={(e) => set({ property: e.currentTarget.value })} error={propErr} w={{ base: '100%', sm: 180 }} />
        <Select label="Operator" aria-label="User property operator" data={FILTER_OPS} value={rule.op} allowDeselect={false}
          onChange={(v) => v && set({ op: v as Op, value: valueForOp(v as Op, rule.value) })} w={150} />
        <ValueInput op={rule.op} value={rule.value} type={undefined} suggestions={[]} error={valueIssue}
          label={`Value of ${rule.property || 'user property'}`} onChange={(value) => set({ value })} />
      </Group>
    </RuleCard>
  );
}
