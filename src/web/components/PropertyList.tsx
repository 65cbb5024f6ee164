import { Text } from '@mantine/core';
import { traitText } from '../pages/users/trait-text';

/**
 * Properties as "key: value" pairs a person can read (no quoted JSON). With
 * `max`, the first few and "+N more"; without, all of them, wrapping.
 */
export function PropertyList({ properties, max }: { properties: Record<string, unknown> | null | undefined; max?: number }) {
  const entries = Object.entries(properties ?? {});
  if (entries.length === 0) return <Text size="xs" c="dimmed">no properties</Text>;
  const shown = max === undefined ? entries : entries.slice(0, max);
  return (
    <Text size="xs" style={{ overflowWrap: 'anywhere' }}>
      {shown.map(([k, v], i) => (
        <span key={k}>
          {i > 0 && <Text span c="dimmed" size="xs"> · </Text>}
          <Text span c="dimmed" size="xs">{k}:</Text> <span title={typeof v === 'object' ? JSON.stringify(v) : undefined}>{traitText(v, 80)}</span>
        </span>
      ))}
      {entries.length > shown.length && <Text span c="dimmed" size="xs"> · +{entries.length - shown.length} more</Text>}
    </Text>
  );
}
