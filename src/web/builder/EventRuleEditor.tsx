import { Group, Select } from '@mantine/core';
import type { EventRule } from '../api/definition';
import { AggregateEditor } from './AggregateEditor';
import { CountEditor } from './CountEditor';
import { EventPicker } from './EventPicker';
import { FilterListEditor } from './FilterListEditor';
import { useIssue, type Path } from './issues';
import { patched } from './patch';
import { EVENT_FIELDS, RuleCard } from './RuleCard';
import type { EventCatalog } from './useEventCatalog';
import { WindowEditor } from './WindowEditor';

export function EventRuleEditor({
  rule,
  onChange,
  onRemove,
  path,
  catalog,
}: {
  rule: EventRule;
  onChange: (r: EventRule) => void;
  onRemove?: () => void;
  path: Path;
  catalog: EventCatalog;
}) {
  const eventErr = useIssue([...path, 'event']);
  const props = catalog.propertiesOf(rule.event);
  const set = (patch: Partial<EventRule>) => onChange(patched(rule, patch));
  return (
    <RuleCard title={rule.negate ? 'Did not perform' : 'Performed event'} path={path} claimed={EVENT_FIELDS} onRemove={onRemove}>
      <Group gap="xs" align="flex-start" wrap="wrap">
        <Select
          label="User"
          aria-label="Performed or not"
          data={[{ value: 'did', label: 'performed' }, { value: 'not', label: 'did not perform' }]}
          value={rule.negate ? 'not' : 'did'}
          allowDeselect={false}
          onChange={(v) => set({ negate: v === 'not' ? true : undefined })}
          w={160}
        />
        <EventPicker value={rule.event} onChange={(event) => set({ event })} catalog={catalog} error={eventErr} />
      </Group>
      <FilterListEditor
        where={rule.where}
        whereMatch={rule.whereMatch}
        path={path}
        event={rule.event}
        properties={props}
        onChange={(where, whereMatch) => set({ where, whereMatch })}
      />
      {/* "Did not perform" with the default count means "never": no "at least 1 times" beside it. */}
      {(!rule.negate || rule.count) && <CountEditor
        count={rule.count}
        countBy={rule.countBy}
        path={path}
        onChange={(count, countBy) => {
          const isDefault = count.op === 'gte' && count.value === 1 && countBy === 'events';
          set({ count: isDefault ? undefined : count, countBy: countBy === 'events' ? undefined : countBy });
        }}
      />}
      <AggregateEditor aggregate={rule.aggregate} path={path} properties={props} onChange={(aggregate) => set({ aggregate })} />
      <WindowEditor window={rule.window} path={path} onChange={(window) => set({ window })} />
    </RuleCard>
  );
}
