import { Group, Select } from '@mantine/core';
import { useCohortOptions } from '../api/cohorts';
import type { CohortRule } from '../api/definition';
import { useIssue, type Path } from './issues';
import { RuleCard } from './RuleCard';

export function CohortRuleEditor({ rule, onChange, onRemove, path, selfId }: {
  rule: CohortRule; onChange: (r: CohortRule) => void; onRemove?: () => void; path: Path; selfId?: string;
}) {
  const q = useCohortOptions();
  const err = useIssue([...path, 'cohortId']);
  const options = (q.data?.items ?? []).filter((c) => c.id !== selfId).map((c) => ({ value: c.id, label: c.name }));
  if (rule.cohortId && !options.some((o) => o.value === rule.cohortId)) {
    options.push({ value: rule.cohortId, label: `cohort ${rule.cohortId}` });
  }
  return (
    <RuleCard title="Cohort membership" path={path} claimed={['cohortId', 'negate', 'type']} onRemove={onRemove}>
      <Group gap="xs" align="flex-start" wrap="wrap">
        <Select label="User" aria-label="In or not in cohort" w={130} allowDeselect={false}
          data={[{ value: 'in', label: 'is in' }, { value: 'not', label: 'is not in' }]}
          value={rule.negate ? 'not' : 'in'}
          onChange={(v) => onChange(v === 'not' ? { ...rule, negate: true } : { type: 'cohort', cohortId: rule.cohortId })} />
        <Select label="Cohort" aria-label="Cohort" searchable placeholder={q.isPending ? 'Loading cohorts…' : 'Choose a cohort'}
          data={options} value={rule.cohortId || null} error={err ?? (q.isError ? 'Could not load cohorts' : undefined)}
          nothingFoundMessage="No other saved cohort"
          onChange={(v) => onChange({ ...rule, cohortId: v ?? '' })} w={{ base: '100%', sm: 260 }} />
      </Group>
    </RuleCard>
  );
}
