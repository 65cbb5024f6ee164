import { ActionIcon, Button, Group, Select, Stack, Text, Title } from '@mantine/core';
import { MAX_SEGMENTS, type Segment } from '../../api/analytics';
import { useCohortOptions } from '../../api/cohorts';

type Kind = 'all' | 'in' | 'not_in' | 'definition';

const kindOf = (s: Segment): Kind => ('all' in s ? 'all' : 'definition' in s ? 'definition' : s.negate ? 'not_in' : 'in');

/** "Segment by cohort": all users, in a cohort, or not in it; up to ten segments. */
export function SegmentPicker({ value, onChange }: { value: Segment[]; onChange: (v: Segment[]) => void }) {
  const cohorts = useCohortOptions();
  const options = (cohorts.data?.items ?? []).map((c) => ({ value: c.id, label: c.name }));
  const set = (i: number, s: Segment) => onChange(value.map((x, j) => (j === i ? s : x)));
  const firstCohort = options[0]?.value;
  return (
    <Stack gap="xs" role="group" aria-label="Segment by cohort">
      <Title order={3} size="h5">Segment by cohort</Title>
      {value.map((s, i) => {
        const kind = kindOf(s);
        const n = i + 1;
        return (
          <Group key={i} gap="xs" align="flex-end" wrap="wrap">
            <Select
              label={`Segment ${n}`}
              aria-label={`Segment ${n}`}
              w={170}
              allowDeselect={false}
              data={[
                { value: 'all', label: 'All users' },
                { value: 'in', label: 'In cohort' },
                { value: 'not_in', label: 'Not in cohort' },
                ...(kind === 'definition' ? [{ value: 'definition', label: 'Definition' }] : []),
              ]}
              value={kind}
              onChange={(k) => {
                if (k === 'all') set(i, { all: true });
                else if (k === 'in' || k === 'not_in') {
                  const id = 'cohortId' in s ? s.cohortId : firstCohort;
                  if (id) set(i, k === 'in' ? { cohortId: id } : { cohortId: id, negate: true });
                }
              }}
            />
            {'cohortId' in s && (
              <Select
                label={`Cohort of segment ${n}`}
                aria-label={`Cohort of segment ${n}`}
                w={240}
                searchable
                allowDeselect={false}
                data={options.some((o) => o.value === s.cohortId) ? options : [...options, { value: s.cohortId, label: s.cohortId }]}
                value={s.cohortId}
                onChange={(id) => id && set(i, { ...s, cohortId: id })}
              />
            )}
            {'definition' in s && <Text size="sm" c="dimmed">{s.name ?? 'Unsaved definition'} (from the request)</Text>}
            <ActionIcon variant="subtle" color="gray" mb={4} disabled={value.length === 1} onClick={() => onChange(value.filter((_, j) => j !== i))} aria-label={`Remove segment ${n}`}>
              ✕
            </ActionIcon>
          </Group>
        );
      })}
      <Group>
        <Button size="xs" variant="light" disabled={value.length >= MAX_SEGMENTS} onClick={() => onChange([...value, firstCohort ? { cohortId: firstCohort } : { all: true }])}>
          + Segment
        </Button>
        {value.length >= MAX_SEGMENTS && <Text size="xs" c="dimmed">At most {MAX_SEGMENTS} segments.</Text>}
      </Group>
    </Stack>
  );
}
