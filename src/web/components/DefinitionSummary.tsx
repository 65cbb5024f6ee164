import { List, Text } from '@mantine/core';
import { useCohortOptions } from '../api/cohorts';
import type { Definition } from '../api/definition';
import { describeDefinition, describeRules, type DescribeOptions } from '../../schemas/describe-definition';

function useDescribeOptions(): DescribeOptions {
  const q = useCohortOptions();
  const names = new Map((q.data?.items ?? []).map((c) => [c.id, c.name]));
  return { cohortName: (id) => names.get(id) };
}

/**
 * A definition in plain words (src/schemas/describe-definition.ts): one
 * sentence when compact (the cohort list), else one line per top-level rule
 * under "all of" / "any of".
 */
export function DefinitionSummary({ definition, compact = false }: { definition: Definition; compact?: boolean }) {
  const opts = useDescribeOptions();
  if (compact) {
    const text = describeDefinition(definition, opts);
    return <Text size="xs" c="dimmed" lineClamp={2} title={text} data-testid="definition-summary">{text}</Text>;
  }
  const lines = describeRules(definition, opts);
  if (lines.length <= 1) {
    return <Text size="sm" data-testid="definition-summary">Users who: {describeDefinition(definition, opts)}</Text>;
  }
  return (
    <div data-testid="definition-summary">
      <Text size="sm">Users who match {definition.match === 'any' ? 'any' : 'all'} of:</Text>
      <List size="sm" withPadding>
        {lines.map((l, i) => <List.Item key={i}>{l}</List.Item>)}
      </List>
    </div>
  );
}
