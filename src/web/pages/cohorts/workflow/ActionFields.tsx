import { Group, PasswordInput, Select, Text, TextInput } from '@mantine/core';
import { useCohortOptions } from '../../../api/cohorts';
import { useDestinations } from '../../../api/destinations';
import { useSyncs } from '../../../api/syncs';
import { useCan } from '../../../auth/permissions';
import { SECRET_MASK } from '../../../api/types';
import type { Action } from '../../../api/workflows';
import type { DraftStep, ValueKind } from './steps-draft';

export const ACTION_TYPES = [
  { value: 'none', label: 'No action' },
  { value: 'webhook', label: 'Call a webhook' },
  { value: 'set_property', label: 'Set a user property' },
  { value: 'add_to_cohort', label: 'Add to a static cohort' },
  { value: 'run_sync', label: 'Run a sync' },
];

export function actionLabel(a: Action | null): string {
  if (!a) return 'no action';
  switch (a.type) {
    case 'webhook': return `webhook ${a.url}`;
    case 'set_property': return `set ${a.key} = ${JSON.stringify(a.value)}`;
    case 'add_to_cohort': return 'add to a static cohort';
    case 'run_sync': return 'run a sync';
  }
}

interface Props {
  cohortId: string;
  draft: DraftStep;
  index: number;
  issueAt: (path: string) => string | undefined;
  onChange: (patch: Partial<DraftStep>) => void;
}

/** The fields of the action a step runs when a card reaches it. */
export function ActionFields({ cohortId, draft: d, index, issueAt, onChange }: Props) {
  const at = `steps.${index}.action`;
  const n = index + 1;
  switch (d.type) {
    case 'none':
      return null;
    case 'webhook':
      return (
        <Group align="flex-start" gap="xs" grow>
          <TextInput aria-label={`Webhook URL of step ${n}`} label="Webhook URL" placeholder="https://example.com/hooks/kohort" value={d.url}
            error={issueAt(`${at}.url`)} onChange={(e) => onChange({ url: e.currentTarget.value })} />
          <PasswordInput aria-label={`Webhook secret of step ${n}`} label="Signing secret"
            description={d.hasSavedSecret ? 'Saved (shown as ••••). Type a new one to replace it.' : 'Leave empty to have one generated.'}
            placeholder={d.hasSavedSecret ? SECRET_MASK : 'generated on save'} value={d.secret}
            error={issueAt(`${at}.secret`)} onChange={(e) => onChange({ secret: e.currentTarget.value })} />
        </Group>
      );
    case 'set_property':
      return (
        <Group align="flex-start" gap="xs">
          <TextInput aria-label={`Property of step ${n}`} label="Property" placeholder="stage" value={d.propKey} w={220}
            error={issueAt(`${at}.key`)} onChange={(e) => onChange({ propKey: e.currentTarget.value })} />
          <Select aria-label={`Value type of step ${n}`} label="Type" w={120} allowDeselect={false} value={d.valueKind}
            data={[{ value: 'text', label: 'text' }, { value: 'number', label: 'number' }, { value: 'boolean', label: 'true / false' }]}
            onChange={(v) => onChange({ valueKind: (v ?? 'text') as ValueKind, value: v === 'boolean' ? 'true' : d.value })} />
          {d.valueKind === 'boolean' ? (
            <Select aria-label={`Value of step ${n}`} label="Value" w={120} allowDeselect={false} data={['true', 'false']}
              value={d.value === 'false' ? 'false' : 'true'} onChange={(v) => onChange({ value: v ?? 'true' })} />
          ) : (
            <TextInput aria-label={`Value of step ${n}`} label="Value" value={d.value} w={220} inputMode={d.valueKind === 'number' ? 'decimal' : undefined}
              error={issueAt(`${at}.value`)} onChange={(e) => onChange({ value: e.currentTarget.value })} />
          )}
        </Group>
      );
    case 'add_to_cohort':
      return <StaticCohortSelect cohortId={cohortId} n={n} value={d.cohortId} error={issueAt(`${at}.cohortId`)} onChange={(cohortId) => onChange({ cohortId })} />;
    case 'run_sync':
      return <SyncSelect n={n} value={d.syncId} error={issueAt(`${at}.syncId`)} onChange={(syncId) => onChange({ syncId })} />;
  }
}

function StaticCohortSelect({ cohortId, n, value, error, onChange }: {
  cohortId: string; n: number; value: string | null; error?: string; onChange: (v: string | null) => void;
}) {
  const cohorts = useCohortOptions();
  const can = useCan();
  // The server only accepts a static cohort the principal can change, so only those are offered.
  const data = (cohorts.data?.items ?? [])
    .filter((c) => c.kind === 'static' && c.id !== cohortId && can.canEditCohort(c))
    .map((c) => ({ value: c.id, label: c.name }));
  return (
    <Select aria-label={`Static cohort of step ${n}`} label="Static cohort" placeholder={cohorts.isPending ? 'Loading…' : 'Choose a static cohort'}
      data={data} value={value} onChange={onChange} searchable w={{ base: '100%', sm: 360 }} error={error}
      nothingFoundMessage="No static cohort you can change" />
  );
}

function SyncSelect({ n, value, error, onChange }: { n: number; value: string | null; error?: string; onChange: (v: string | null) => void }) {
  const syncs = useSyncs();
  const destinations = useDestinations();
  const cohorts = useCohortOptions();
  const can = useCan();
  const name = (list: { id: string; name: string }[] | undefined, id: string) => list?.find((x) => x.id === id)?.name ?? id;
  // Running a sync needs the right to change its cohort; a cohort beyond the first page of options is left to the server.
  const runnable = (cohortId: string) => {
    const c = cohorts.data?.items.find((x) => x.id === cohortId);
    return !c || can.canEditCohort(c);
  };
  const data = (syncs.data ?? []).filter((s) => runnable(s.cohortId)).map((s) => ({
    value: s.id,
    label: `${name(cohorts.data?.items, s.cohortId)} → ${name(destinations.data, s.destinationId)} (${s.frequency})`,
  }));
  return (
    <>
      <Select aria-label={`Sync of step ${n}`} label="Sync to run" placeholder={syncs.isPending ? 'Loading…' : 'Choose a sync'}
        data={data} value={value} onChange={onChange} searchable w={{ base: '100%', sm: 420 }} error={error}
        nothingFoundMessage="No sync yet" />
      <Text size="xs" c="dimmed">Starts a run of that sync when a card reaches this step (a run already going counts as done).</Text>
    </>
  );
}
