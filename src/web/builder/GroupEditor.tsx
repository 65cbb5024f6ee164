import { Button, Group, Menu, SegmentedControl, Stack, Text } from '@mantine/core';
import type { Match, Rule } from '../api/definition';
import { MAX_DEPTH, MAX_RULES, RULE_KINDS, newRule } from './defaults';
import { useIssue, type Path } from './issues';
import { RuleEditor } from './RuleEditor';
import type { EventCatalog } from './useEventCatalog';

/** A list of conditions combined with AND (all) or OR (any). Depth 1 is the definition root. */
export function GroupEditor({
  match, rules, onChange, path, depth, catalog, selfId,
}: {
  match: Match;
  rules: Rule[];
  onChange: (match: Match, rules: Rule[]) => void;
  path: Path;
  depth: number;
  catalog: EventCatalog;
  selfId?: string;
}) {
  const rulesErr = useIssue([...path, 'rules']);
  return (
    <Stack gap="sm">
      <Group gap="xs">
        <Text size="sm">Users matching</Text>
        <SegmentedControl
          size="xs"
          aria-label={depth === 1 ? 'Combine conditions' : `Combine conditions of nested group (level ${depth})`}
          data={[{ value: 'all', label: 'ALL (and)' }, { value: 'any', label: 'ANY (or)' }]}
          value={match}
          onChange={(v) => onChange(v as Match, rules)}
        />
        <Text size="sm">of these conditions</Text>
      </Group>
      {rulesErr && <Text size="sm" c="red" role="alert">{rulesErr}</Text>}
      {rules.map((r, i) => (
        <Stack key={i} gap={4}>
          {i > 0 && <Text size="xs" fw={700} c="dimmed" aria-hidden>{match === 'all' ? 'AND' : 'OR'}</Text>}
          <RuleEditor
            rule={r}
            path={[...path, 'rules', i]}
            depth={depth}
            catalog={catalog}
            selfId={selfId}
            onChange={(nr) => onChange(match, rules.map((x, j) => (j === i ? nr : x)))}
            onRemove={rules.length > 1 ? () => onChange(match, rules.filter((_, j) => j !== i)) : undefined}
          />
        </Stack>
      ))}
      <Menu position="bottom-start">
        <Menu.Target>
          <Button variant="light" size="xs" w="fit-content" disabled={rules.length >= MAX_RULES}>+ Add condition</Button>
        </Menu.Target>
        <Menu.Dropdown>
          {RULE_KINDS.filter((k) => k.value !== 'group' || depth < MAX_DEPTH).map((k) => (
            <Menu.Item key={k.value} onClick={() => onChange(match, [...rules, newRule(k.value)])}>{k.label}</Menu.Item>
          ))}
        </Menu.Dropdown>
      </Menu>
    </Stack>
  );
}
