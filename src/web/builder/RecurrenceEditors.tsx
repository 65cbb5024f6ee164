import { Group, NumberInput, Select, Text } from '@mantine/core';
import { MAX_PERIODS, type Duration, type RegularlyRule, type RestartedRule, type StoppedRule, type Unit } from '../api/definition';
import { EventPicker } from './EventPicker';
import { FilterListEditor } from './FilterListEditor';
import { useIssue, type Path } from './issues';
import { patched } from './patch';
import { RuleCard } from './RuleCard';
import { UNITS } from './labels';
import type { EventCatalog } from './useEventCatalog';

const FIELDS = ['event', 'where', 'whereMatch', 'period', 'periods', 'atLeast', 'active', 'inactive', 'returned', 'negate', 'type'];
const PERIODS = [
  { value: 'day', label: 'days' },
  { value: 'week', label: 'weeks (Monday to Sunday)' },
  { value: 'month', label: 'calendar months' },
];

const whole = (n: string | number, fallback: number) => {
  const v = typeof n === 'number' ? n : Number(n);
  return Number.isInteger(v) && v >= 1 ? v : fallback;
};

/** "1 week", "3 days". */
export const span = (d: Duration) => `${d.amount} ${d.unit}${d.amount === 1 ? '' : 's'}`;

/** "3 days": an amount and a unit, for the spans of stopped and restarted. */
function DurationInput({ label, value, onChange, path }: { label: string; value: Duration; onChange: (d: Duration) => void; path: Path }) {
  const wholeErr = useIssue(path);
  const amountErr = useIssue([...path, 'amount']);
  const err = wholeErr ?? amountErr;
  return (
    <Group gap={4} align="flex-end" wrap="nowrap">
      <NumberInput label={label} aria-label={`${label} (amount)`} min={1} value={value.amount} error={err}
        onChange={(n) => onChange({ ...value, amount: whole(n, 1) })} w={110} />
      <Select aria-label={`${label} (unit)`} data={UNITS} value={value.unit} allowDeselect={false}
        onChange={(u) => onChange({ ...value, unit: (u ?? 'day') as Unit })} w={110} />
    </Group>
  );
}

function NegateSelect({ negate, yes, no, onChange }: { negate?: boolean; yes: string; no: string; onChange: (negate: true | undefined) => void }) {
  return (
    <Select label="User" aria-label="Is or is not" data={[{ value: 'is', label: yes }, { value: 'not', label: no }]}
      value={negate ? 'not' : 'is'} allowDeselect={false} onChange={(v) => onChange(v === 'not' ? true : undefined)} w={190} />
  );
}

interface Props<R> {
  rule: R;
  onChange: (r: R) => void;
  onRemove?: () => void;
  path: Path;
  catalog: EventCatalog;
}

function EventAndFilters<R extends RegularlyRule | StoppedRule | RestartedRule>({ rule, set, path, catalog }: { rule: R; set: (p: Partial<R>) => void; path: Path; catalog: EventCatalog }) {
  const eventErr = useIssue([...path, 'event']);
  return (
    <>
      <EventPicker value={rule.event} onChange={(event) => set({ event } as Partial<R>)} catalog={catalog} error={eventErr} />
      <FilterListEditor where={rule.where} whereMatch={rule.whereMatch} path={path} event={rule.event}
        properties={catalog.propertiesOf(rule.event)} onChange={(where, whereMatch) => set({ where, whereMatch } as Partial<R>)} />
    </>
  );
}

/** "Did purchase in at least 3 of the last 4 weeks." */
export function RegularlyEditor({ rule, onChange, onRemove, path, catalog }: Props<RegularlyRule>) {
  const set = (p: Partial<RegularlyRule>) => onChange(patched(rule, p));
  const atLeastErr = useIssue([...path, 'atLeast']);
  const periodsErr = useIssue([...path, 'periods']);
  return (
    <RuleCard title="Does it regularly" path={path} claimed={FIELDS} onRemove={onRemove}>
      <Group gap="xs" align="flex-start" wrap="wrap">
        <NegateSelect negate={rule.negate} yes="does it regularly" no="does not do it regularly" onChange={(negate) => set({ negate })} />
        <EventAndFilters rule={rule} set={set} path={path} catalog={catalog} />
      </Group>
      <Group gap={6} align="flex-end" wrap="wrap">
        <NumberInput label="In at least" aria-label="At least this many periods" min={1} max={rule.periods} value={rule.atLeast} error={atLeastErr}
          onChange={(n) => set({ atLeast: whole(n, 1) })} w={110} />
        <Text size="sm" pb={8}>of the last</Text>
        <NumberInput label="Periods" aria-label="Number of periods" min={1} max={MAX_PERIODS} value={rule.periods} error={periodsErr}
          onChange={(n) => { const periods = whole(n, 1); set({ periods, atLeast: Math.min(rule.atLeast, periods) }); }} w={100} />
        <Select label="Period" aria-label="Period" data={PERIODS} value={rule.period} allowDeselect={false}
          onChange={(v) => set({ period: (v ?? 'week') as RegularlyRule['period'] })} w={220} />
      </Group>
      <Text size="xs" c="dimmed">
        The current {rule.period} counts as the last one. A {rule.period} counts when the user did the event at least once in it (UTC).
      </Text>
    </RuleCard>
  );
}

/** "Did it in the 30 days before the last 7 days, and not since." */
export function StoppedEditor({ rule, onChange, onRemove, path, catalog }: Props<StoppedRule>) {
  const set = (p: Partial<StoppedRule>) => onChange(patched(rule, p));
  return (
    <RuleCard title="Stopped doing it" path={path} claimed={FIELDS} onRemove={onRemove}>
      <Group gap="xs" align="flex-start" wrap="wrap">
        <NegateSelect negate={rule.negate} yes="stopped doing" no="did not stop doing" onChange={(negate) => set({ negate })} />
        <EventAndFilters rule={rule} set={set} path={path} catalog={catalog} />
      </Group>
      <Group gap="md" align="flex-end" wrap="wrap">
        <DurationInput label="Has not done it for" value={rule.inactive} path={[...path, 'inactive']} onChange={(inactive) => set({ inactive })} />
        <DurationInput label="after doing it during" value={rule.active} path={[...path, 'active']} onChange={(active) => set({ active })} />
      </Group>
      <Text size="xs" c="dimmed">
        Did the event at least once in the {span(rule.active)} before the last {span(rule.inactive)}, and not once since.
      </Text>
    </RuleCard>
  );
}

/** "Came back in the last 7 days after 30 days without it." */
export function RestartedEditor({ rule, onChange, onRemove, path, catalog }: Props<RestartedRule>) {
  const set = (p: Partial<RestartedRule>) => onChange(patched(rule, p));
  return (
    <RuleCard title="Came back to it" path={path} claimed={FIELDS} onRemove={onRemove}>
      <Group gap="xs" align="flex-start" wrap="wrap">
        <NegateSelect negate={rule.negate} yes="came back to" no="did not come back to" onChange={(negate) => set({ negate })} />
        <EventAndFilters rule={rule} set={set} path={path} catalog={catalog} />
      </Group>
      <Group gap="md" align="flex-end" wrap="wrap">
        <DurationInput label="Did it again in the last" value={rule.returned} path={[...path, 'returned']} onChange={(returned) => set({ returned })} />
        <DurationInput label="after a break of" value={rule.inactive} path={[...path, 'inactive']} onChange={(inactive) => set({ inactive })} />
      </Group>
      <Text size="xs" c="dimmed">
        Did the event in the last {span(rule.returned)}, not once in the {span(rule.inactive)} before that, and at least once earlier.
      </Text>
    </RuleCard>
  );
}
