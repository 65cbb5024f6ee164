import { ActionIcon, Button, Checkbox, Group, NumberInput, Paper, Select, Stack, Text } from '@mantine/core';
import type { SequenceRule, Step, Unit } from '../api/definition';
import { EventPicker } from './EventPicker';
import { FilterListEditor } from './FilterListEditor';
import { useIssue, type Path } from './issues';
import { patched } from './patch';
import { UNITS } from './labels';
import { RuleCard } from './RuleCard';
import type { EventCatalog } from './useEventCatalog';
import { WindowEditor } from './WindowEditor';

function StepEditor({ step, index, onChange, onRemove, path, catalog }: {
  step: Step; index: number; onChange: (s: Step) => void; onRemove?: () => void; path: Path; catalog: EventCatalog;
}) {
  const eventErr = useIssue([...path, 'event']);
  return (
    <Paper p="xs" bg="var(--mantine-color-default-hover)" role="group" aria-label={`Step ${index + 1}`}>
      <Stack gap="xs">
        <Group gap="xs" align="flex-start" wrap="wrap">
          <Text size="sm" fw={600} mt={30}>{index + 1}.</Text>
          <EventPicker label={`Step ${index + 1} event`} value={step.event} catalog={catalog} error={eventErr}
            onChange={(event) => onChange({ ...step, event })} />
          {onRemove && <ActionIcon mt={28} variant="subtle" color="gray" aria-label={`Remove step ${index + 1}`} onClick={onRemove}>✕</ActionIcon>}
        </Group>
        <FilterListEditor where={step.where} whereMatch={step.whereMatch} path={path} event={step.event}
          properties={catalog.propertiesOf(step.event)}
          onChange={(where, whereMatch) => onChange(patched(step, { where, whereMatch }))} />
      </Stack>
    </Paper>
  );
}

export function SequenceEditor({ rule, onChange, onRemove, path, catalog }: {
  rule: SequenceRule; onChange: (r: SequenceRule) => void; onRemove?: () => void; path: Path; catalog: EventCatalog;
}) {
  const withinErr = useIssue([...path, 'within']);
  const set = (patch: Partial<SequenceRule>) => onChange(patched(rule, patch));
  const steps = rule.steps;
  return (
    <RuleCard title="Sequence" path={path} claimed={['steps', 'within', 'window', 'negate', 'type']} onRemove={onRemove}
      extra={<Checkbox size="xs" label="did not" aria-label="Did not perform this sequence" checked={!!rule.negate}
        onChange={(e) => set({ negate: e.currentTarget.checked || undefined })} />}>
      {steps.map((s, i) => (
        <StepEditor key={i} step={s} index={i} path={[...path, 'steps', i]} catalog={catalog}
          onChange={(ns) => set({ steps: steps.map((x, j) => (j === i ? ns : x)) })}
          onRemove={steps.length > 2 ? () => set({ steps: steps.filter((_, j) => j !== i) }) : undefined} />
      ))}
      <Group>
        <Button size="xs" variant="light" disabled={steps.length >= 10} onClick={() => set({ steps: [...steps, { event: '' }] })}>+ Step</Button>
      </Group>
      <Group gap={4} align="flex-start" wrap="wrap">
        <Checkbox mt={8} label="all within" checked={!!rule.within}
          onChange={(e) => set({ within: e.currentTarget.checked ? { amount: 1, unit: 'day' } : undefined })} />
        {rule.within && (
          <>
            <NumberInput aria-label="Within amount" min={1} value={rule.within.amount} error={withinErr}
              onChange={(n) => set({ within: { ...rule.within!, amount: typeof n === 'number' ? n : Number(n) || 1 } })} w={90} />
            <Select aria-label="Within unit" data={UNITS} value={rule.within.unit} allowDeselect={false}
              onChange={(u) => set({ within: { ...rule.within!, unit: (u ?? 'day') as Unit } })} w={120} />
          </>
        )}
      </Group>
      <WindowEditor label="First step" window={rule.window} path={path} onChange={(window) => set({ window })} />
    </RuleCard>
  );
}
