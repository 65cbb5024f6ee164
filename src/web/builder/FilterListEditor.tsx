import { Button, Group, SegmentedControl, Stack, Text } from '@mantine/core';
import type { Filter, Match } from '../api/definition';
import { FilterEditor } from './FilterEditor';
import type { Path } from './issues';

/** The `where` filters of an event, a first-time rule or a sequence step. */
export function FilterListEditor({
  where,
  whereMatch,
  onChange,
  path,
  event,
  properties,
}: {
  where: Filter[] | undefined;
  whereMatch: Match | undefined;
  onChange: (where: Filter[] | undefined, whereMatch: Match | undefined) => void;
  path: Path;
  event: string;
  properties: { name: string; type: string }[];
}) {
  const list = where ?? [];
  const set = (next: Filter[]) => onChange(next.length ? next : undefined, next.length > 1 ? whereMatch : undefined);
  return (
    <Stack gap="xs">
      {list.length > 1 && (
        <Group gap="xs">
          <Text size="sm">where</Text>
          <SegmentedControl
            size="xs"
            aria-label="Filters must match"
            data={[{ value: 'all', label: 'all of' }, { value: 'any', label: 'any of' }]}
            value={whereMatch ?? 'all'}
            onChange={(v) => onChange(list, v as Match)}
          />
        </Group>
      )}
      {list.map((f, i) => (
        <FilterEditor
          key={i}
          filter={f}
          path={[...path, 'where', i]}
          event={event}
          properties={properties}
          onChange={(nf) => set(list.map((x, j) => (j === i ? nf : x)))}
          onRemove={() => set(list.filter((_, j) => j !== i))}
        />
      ))}
      <Group>
        <Button
          size="xs"
          variant="light"
          onClick={() => set([...list, { property: '', op: 'eq', value: '' }])}
        >
          + Where property
        </Button>
      </Group>
    </Stack>
  );
}
