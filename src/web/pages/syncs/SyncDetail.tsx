import { Alert, Button, Group, Paper, SegmentedControl, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { useCohort } from '../../api/cohorts';
import { useDestinations } from '../../api/destinations';
import { errorMessage } from '../../api/errors';
import { useDeleteSync, useRunSync, useSync, useUpdateSync } from '../../api/syncs';
import type { Frequency } from '../../api/types';
import { Guard } from '../../auth/Guard';
import { REASONS, useCan } from '../../auth/permissions';
import { SyncStateBadge } from '../../components/badges';
import { num } from '../../components/format';
import { QueryState } from '../../components/QueryState';
import { Stat } from '../../components/Stat';
import { Time } from '../../components/Time';
import { Link, navigate } from '../../router';
import { RunHistory } from './RunHistory';
import { SyncProblem } from './SyncProblem';

export function SyncDetail({ id }: { id: string }) {
  const q = useSync(id);
  const s = q.data;
  return (
    <QueryState query={q} what="sync">
      {s && <SyncBody sync={s} />}
    </QueryState>
  );
}

function SyncBody({ sync: s }: { sync: NonNullable<ReturnType<typeof useSync>['data']> }) {
  const cohort = useCohort(s.cohortId);
  const destinations = useDestinations();
  const run = useRunSync();
  const update = useUpdateSync();
  const del = useDeleteSync();
  const can = useCan();
  // Syncs change with their cohort's rights; until the cohort loads, only admins are sure to be allowed.
  const canChange = cohort.data ? can.canEditCohort(cohort.data) : can.canAdmin;
  const dest = destinations.data?.find((d) => d.id === s.destinationId);
  const pausedReason = (s as { pausedReason?: string | null }).pausedReason;

  return (
    <Stack>
      <Group justify="space-between" wrap="wrap">
        <Title order={2}>
          Sync: {cohort.data?.name ?? 'cohort'} → {dest?.name ?? 'destination'}
        </Title>
        <Group gap="xs">
          <Guard allowed={canChange} reason={REASONS.cohort}>
            <Button onClick={() => run.mutate(s.id)} loading={run.isPending} disabled={s.state === 'running'}>Run now</Button>
          </Guard>
          <Guard allowed={canChange} reason={REASONS.cohort}>
            <Button variant="default" onClick={() => update.mutate({ id: s.id, paused: !s.paused })} loading={update.isPending && update.variables?.paused !== undefined}>
              {s.paused ? 'Resume' : 'Pause'}
            </Button>
          </Guard>
          <Guard allowed={canChange} reason={REASONS.cohort}>
            <Button variant="subtle" color="red" onClick={() => { if (window.confirm('Delete this sync? Its run history goes too.')) del.mutate(s.id, { onSuccess: () => navigate('/syncs') }); }}>Delete</Button>
          </Guard>
        </Group>
      </Group>
      {run.isError && <Alert color="red" role="alert" title="Could not start a run">{errorMessage(run.error)}</Alert>}
      {update.isError && <Alert color="red" role="alert" title="Could not update the sync">{errorMessage(update.error)}</Alert>}
      {del.isError && <Alert color="red" role="alert" title="Could not delete the sync">{errorMessage(del.error)}</Alert>}
      {s.state === 'auth_failed' && (
        <Alert color="red" title="The destination rejected the credentials" role="alert">
          The sync is paused until the destination is updated. <Link to="/destinations">Update the destination</Link>.
        </Alert>
      )}
      <SyncProblem sync={s} />
      <Paper withBorder p="md" radius="md">
        <SimpleGrid cols={{ base: 2, sm: 4 }}>
          <Stat size="sm" label="State"><SyncStateBadge sync={s} />{pausedReason === 'auth_failed' && s.state !== 'auth_failed' && ' (auth failed)'}</Stat>
          <Stat size="sm" label="Cohort"><Link to={`/cohorts/${s.cohortId}`}>{cohort.data?.name ?? s.cohortId}</Link></Stat>
          <Stat size="sm" label="Destination">{dest ? `${dest.name} (${dest.type})` : s.destinationId}</Stat>
          <Stat size="sm" label="Next run">{s.paused ? 'paused' : s.state === 'running' ? 'after this run' : s.nextRunAt
            ? (Date.parse(s.nextRunAt) <= Date.now() ? 'due now' : <Time iso={s.nextRunAt} />) : s.frequency === 'once' ? 'none (runs once)' : 'not scheduled'}</Stat>
          <Stat size="sm" label="Last run">{s.lastRun ? <Time iso={s.lastRun.startedAt} /> : 'never'}</Stat>
          <Stat size="sm" label="Batch size">{num(s.batchSize)}</Stat>
          <Stat size="sm" label="Created"><Time iso={s.createdAt} /></Stat>
        </SimpleGrid>
        <Group mt="md" gap="sm">
          <Text size="sm" fw={500} id="freq-label">Frequency</Text>
          <SegmentedControl aria-labelledby="freq-label" value={s.frequency} disabled={update.isPending || !canChange}
            data={[{ value: 'once', label: 'Once' }, { value: 'hourly', label: 'Hourly' }, { value: 'daily', label: 'Daily' }]}
            onChange={(v) => update.mutate({ id: s.id, frequency: v as Frequency })} />
        </Group>
      </Paper>
      <Paper withBorder p="md" radius="md">
        <Title order={3} size="h4" mb="sm">Run history</Title>
        <RunHistory syncId={s.id} />
      </Paper>
    </Stack>
  );
}
