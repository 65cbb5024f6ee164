import { ActionIcon, Button, Group, NumberInput, Select, Stack, TextInput } from '@mantine/core';
import { MAX_FUNNEL_STEPS, MAX_RETENTION_PERIODS, type Measure } from '../../api/analytics';
import type { Unit } from '../../api/definition';
import type { EventCatalog } from '../../builder/useEventCatalog';
import { EventRefEditor } from './EventRefEditor';
import type { AnalyzeState } from './state';

type Patch = (p: Partial<AnalyzeState>) => void;

const MEASURES = [
  { value: 'uniques', label: 'Unique users' },
  { value: 'totals', label: 'Total events' },
  { value: 'sum', label: 'Sum of property' },
  { value: 'avg', label: 'Average of property' },
  { value: 'min', label: 'Minimum of property' },
  { value: 'max', label: 'Maximum of property' },
];
const UNITS: Unit[] = ['minute', 'hour', 'day', 'week', 'month'];

export function RangeFields({ s, patch }: { s: AnalyzeState; patch: Patch }) {
  return (
    <Group gap="xs" align="flex-end">
      <TextInput label="From" aria-label="From" description="UTC, included" w={170} value={s.from} onChange={(e) => patch({ from: e.currentTarget.value })} />
      <TextInput label="To" aria-label="To" description="UTC, excluded" w={170} value={s.to} onChange={(e) => patch({ to: e.currentTarget.value })} />
    </Group>
  );
}

export function SegmentationFields({ s, patch, catalog }: { s: AnalyzeState; patch: Patch; catalog: EventCatalog }) {
  const fn = typeof s.measure === 'string' ? s.measure : s.measure.fn;
  const property = typeof s.measure === 'string' ? '' : s.measure.property;
  const setMeasure = (v: string, prop: string) => patch({ measure: (v === 'uniques' || v === 'totals' ? v : { fn: v, property: prop }) as Measure });
  return (
    <Stack gap="xs">
      <EventRefEditor label="Event" value={s.event} onChange={(event) => patch({ event })} catalog={catalog} />
      <Group gap="xs" align="flex-end">
        <Select label="Measure" aria-label="Measure" w={200} allowDeselect={false} data={MEASURES} value={fn} onChange={(v) => v && setMeasure(v, property)} />
        {typeof s.measure !== 'string' && (
          <TextInput label="Property" aria-label="Measured property" w={180} value={property} onChange={(e) => setMeasure(fn, e.currentTarget.value)} />
        )}
        <Select label="Interval" aria-label="Interval" w={130} allowDeselect={false} data={['day', 'week', 'month']} value={s.interval}
          onChange={(v) => v && patch({ interval: v as AnalyzeState['interval'] })} />
      </Group>
    </Stack>
  );
}

export function FunnelFields({ s, patch, catalog }: { s: AnalyzeState; patch: Patch; catalog: EventCatalog }) {
  return (
    <Stack gap="xs">
      {s.steps.map((step, i) => (
        <Group key={i} align="flex-start" gap="xs" wrap="nowrap">
          <div style={{ flex: 1 }}>
            <EventRefEditor label={`Step ${i + 1}`} value={step} onChange={(v) => patch({ steps: s.steps.map((x, j) => (j === i ? v : x)) })} catalog={catalog} />
          </div>
          <ActionIcon variant="subtle" color="gray" mt="sm" disabled={s.steps.length <= 2} aria-label={`Remove step ${i + 1}`}
            onClick={() => patch({ steps: s.steps.filter((_, j) => j !== i) })}>✕</ActionIcon>
        </Group>
      ))}
      <Group gap="xs" align="flex-end">
        <Button size="xs" variant="light" disabled={s.steps.length >= MAX_FUNNEL_STEPS} onClick={() => patch({ steps: [...s.steps, { event: '' }] })}>+ Step</Button>
        <NumberInput label="Conversion window" aria-label="Conversion window" w={140} min={1} max={100_000} allowDecimal={false}
          value={s.window.amount} onChange={(v) => typeof v === 'number' && patch({ window: { ...s.window, amount: v } })} />
        <Select aria-label="Conversion window unit" w={120} allowDeselect={false} data={UNITS} value={s.window.unit}
          onChange={(v) => v && patch({ window: { ...s.window, unit: v as Unit } })} />
      </Group>
    </Stack>
  );
}

export function RetentionFields({ s, patch, catalog }: { s: AnalyzeState; patch: Patch; catalog: EventCatalog }) {
  return (
    <Stack gap="xs">
      <EventRefEditor label="Start event" value={s.start} onChange={(start) => patch({ start })} catalog={catalog} />
      <EventRefEditor label="Return event" value={s.ret} onChange={(ret) => patch({ ret })} catalog={catalog} />
      <Group gap="xs" align="flex-end">
        <Select label="Period" aria-label="Period" w={120} allowDeselect={false} data={['day', 'week']} value={s.period}
          onChange={(v) => v && patch({ period: v as AnalyzeState['period'] })} />
        <NumberInput label="Periods" aria-label="Periods" w={110} min={1} max={MAX_RETENTION_PERIODS} allowDecimal={false}
          value={s.periods} onChange={(v) => typeof v === 'number' && patch({ periods: v })} />
      </Group>
    </Stack>
  );
}
