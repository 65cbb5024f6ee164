import { Checkbox } from '@mantine/core';
import type { Rule } from '../api/definition';
import { CohortRuleEditor } from './CohortRuleEditor';
import { EventRuleEditor } from './EventRuleEditor';
import { FirstTimeEditor } from './FirstTimeEditor';
import { GroupEditor } from './GroupEditor';
import type { Path } from './issues';
import { PropertyRuleEditor } from './PropertyRuleEditor';
import { RegularlyEditor, RestartedEditor, StoppedEditor } from './RecurrenceEditors';
import { RuleCard } from './RuleCard';
import { SequenceEditor } from './SequenceEditor';
import type { EventCatalog } from './useEventCatalog';

export function RuleEditor({ rule, onChange, onRemove, path, depth, catalog, selfId }: {
  rule: Rule; onChange: (r: Rule) => void; onRemove?: () => void; path: Path; depth: number; catalog: EventCatalog; selfId?: string;
}) {
  switch (rule.type) {
    case 'event':
      return <EventRuleEditor rule={rule} onChange={onChange} onRemove={onRemove} path={path} catalog={catalog} />;
    case 'first_time':
      return <FirstTimeEditor rule={rule} onChange={onChange} onRemove={onRemove} path={path} catalog={catalog} />;
    case 'sequence':
      return <SequenceEditor rule={rule} onChange={onChange} onRemove={onRemove} path={path} catalog={catalog} />;
    case 'regularly':
      return <RegularlyEditor rule={rule} onChange={onChange} onRemove={onRemove} path={path} catalog={catalog} />;
    case 'stopped':
      return <StoppedEditor rule={rule} onChange={onChange} onRemove={onRemove} path={path} catalog={catalog} />;
    case 'restarted':
      return <RestartedEditor rule={rule} onChange={onChange} onRemove={onRemove} path={path} catalog={catalog} />;
    case 'property':
      return <PropertyRuleEditor rule={rule} onChange={onChange} onRemove={onRemove} path={path} />;
    case 'cohort':
      return <CohortRuleEditor rule={rule} onChange={onChange} onRemove={onRemove} path={path} selfId={selfId} />;
    case 'group':
      return (
        <RuleCard title={`Group (level ${depth + 1})`} path={path} claimed={['match', 'rules', 'negate', 'type']} onRemove={onRemove}
          extra={<Checkbox size="xs" label="none of (negate)" aria-label="Negate this group" checked={!!rule.negate}
            onChange={(e) => onChange({ ...rule, negate: e.currentTarget.checked || undefined })} />}>
          <GroupEditor match={rule.match} rules={rule.rules} path={path} depth={depth + 1} catalog={catalog} selfId={selfId}
            onChange={(match, rules) => onChange({ ...rule, match, rules })} />
        </RuleCard>
      );
  }
}
