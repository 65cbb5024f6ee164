import { Badge, Code, Group, List, Stack, Text } from '@mantine/core';
import type { Rule } from '../api/definition';
import type { Explained, Explanation } from '../api/insight';
import { describeRule } from './describe-rule';
import { Time } from './Time';
import { absoluteTime } from './time-format';

function Verdict({ ok }: { ok: boolean }) {
  return <Badge color={ok ? 'teal' : 'gray'} variant="light" w={70} style={{ flexShrink: 0 }}>{ok ? 'holds' : 'fails'}</Badge>;
}

/** What decided the rule: its count, aggregate or property value. */
function Evidence({ x }: { x: Explained }) {
  const parts: string[] = [];
  if (x.count !== undefined) parts.push(x.type === 'regularly' ? `active in ${x.count} period${x.count === 1 ? '' : 's'}` : `${x.count} matching`);
  if (x.aggregate) parts.push(`${x.aggregate.fn} of ${x.aggregate.property} = ${x.aggregate.value ?? 'no value'}`);
  if (x.value !== undefined) parts.push(x.value === null ? 'not set' : `value ${x.value}`);
  if (x.events && x.count === undefined) parts.push(x.events.length ? `last matching: ${absoluteTime(x.events[0].timestamp)}` : 'no matching event');
  return parts.length ? <Text size="xs" c="dimmed">{parts.join(' · ')}</Text> : null;
}

function ExplainedRule({ x, rule }: { x: Explained; rule: Rule }) {
  const words = (x.negate ? 'not: ' : '') + describeRule(rule);
  return (
    <List.Item icon={<Verdict ok={x.result} />}>
      <Stack gap={2}>
        <Text size="sm" data-testid="explained-rule">{words}</Text>
        <Evidence x={x} />
        {x.events && x.events.length > 0 && (
          <details>
            <summary style={{ cursor: 'pointer', fontSize: 12 }}>{x.events.length} matching event{x.events.length === 1 ? '' : 's'}{x.events.length === 10 ? ' (latest 10)' : ''}</summary>
            <List size="xs" spacing={2} mt={4}>
              {x.events.map((e, i) => (
                <List.Item key={i}><Time iso={e.timestamp} absolute /> · {e.event} {Object.keys(e.properties).length > 0 && <Code>{JSON.stringify(e.properties)}</Code>}</List.Item>
              ))}
            </List>
          </details>
        )}
        {x.rules && rule.type === 'group' && <ExplainedList items={x.rules} rules={rule.rules} />}
      </Stack>
    </List.Item>
  );
}

function ExplainedList({ items, rules }: { items: Explained[]; rules: Rule[] }) {
  return (
    <List spacing={6} center={false} listStyleType="none" withPadding={false}>
      {items.map((x, i) => <ExplainedRule key={x.path} x={x} rule={rules[i]} />)}
    </List>
  );
}

/** "Why is this user (not) in?": the answer, then every condition with what decided it. */
export function ExplainView({ explanation, rules, match }: { explanation: Explanation; rules: Rule[]; match: 'all' | 'any' }) {
  const e = explanation;
  return (
    <Stack gap="xs" aria-label={`Why ${e.userId} is ${e.member ? 'in' : 'not in'}`} role="region">
      <Group gap={6}>
        <Badge color={e.member ? 'teal' : 'red'} data-testid="explain-member">{e.member ? 'in' : 'not in'}</Badge>
        <Text size="sm">
          {e.userId} {e.member ? 'is in' : 'is not in'} this cohort as of <Time iso={e.asOf} absolute />
          {e.rules.length > 0 && (match === 'all' ? ' (every condition must hold)' : ' (one condition is enough)')}.
        </Text>
      </Group>
      {e.rules.length > 0 ? <ExplainedList items={e.rules} rules={rules} /> : <Text size="xs" c="dimmed">A static list: members are added and removed by hand.</Text>}
    </Stack>
  );
}
