import { Group, Select } from '@mantine/core';
import type { FirstTimeRule } from '../api/definition';
import { EventPicker } from './EventPicker';
import { FilterListEditor } from './FilterListEditor';
import { useIssue, type Path } from './issues';
import { patched } from './patch';
import { EVENT_FIELDS, RuleCard } from './RuleCard';
import type { EventCatalog } from './useEventCatalog';
import { WindowEditor } from './WindowEditor';

export function FirstTimeEditor({
  rule, onChange, onRemove, path, catalog,
}: {
  rule: FirstTimeRule;
  onChange: (r: FirstTimeRule) => void;
  onRemove?: () => void;
  path: Path;
  catalog: EventCatalog;
}) {
  const eventErr = useIssue([...path, 'event']);
  const set = (patch: Partial<FirstTimeRule>) => onChange(patched(rule, patch));
  return (
    <RuleCard title="First time" path={path} claimed={EVENT_FIELDS} onRemove={onRemove}>
      <Group gap="xs" align="flex-start" wrap="wrap">
        <Select
          label="User"
          aria-label="First did or not"
          data={[{ value: 'did', label: 'first did' }, { value: 'not', label: 'did not first do' }]}
          value={rule.negate ? 'not' : 'did'}
          allowDeselect={false}
          onChange={(v) => set({ negate: v === 'not' ? true : undefined })}
          w={170}
        />
        <EventPicker value={rule.event} onChange={(event) => set({ event })} catalog={catalog} error={eventErr} />
      </Group>
      <FilterListEditor where={rule.where} whereMatch={rule.whereMatch} path={path} event={rule.event}
        properties={catalog.propertiesOf(rule.event)} onChange={(where, whereMatch) => set({ where, whereMatch })} />
      <WindowEditor required label="First time was" window={rule.window} path={path}
        onChange={(w) => set({ window: w ?? { type: 'all_time' } })} />
    </RuleCard>
  );
}
