import { useEffect, useState } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { Alert, Badge, Button, Group, Modal, Paper, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { useCohort, useDeleteCohort, useRefreshCohort } from '../../api/cohorts';
import { ApiError, errorMessage } from '../../api/errors';
import { Guard } from '../../auth/Guard';
import { REASONS, useCan } from '../../auth/permissions';
import { CalculationBadge, StatusBadge } from '../../components/badges';
import { DefinitionSummary } from '../../components/DefinitionSummary';
import { num } from '../../components/format';
import { QueryState } from '../../components/QueryState';
import { Stat } from '../../components/Stat';
import { Time } from '../../components/Time';
import { linkProps, navigate } from '../../router';
import { analyzeLink } from '../analyze/state';
import { CohortSyncs } from './CohortSyncs';
import { HistoryChart } from './HistoryChart';
import { MembersTable } from './MembersTable';
import { StaticMembersUpload } from './StaticMembersUpload';
import { CohortWorkflow } from './workflow/CohortWorkflow';

export function CohortDetail({ id }: { id: string }) {
  const q = useCohort(id);
  const refresh = useRefreshCohort(id);
  const del = useDeleteCohort(id);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const c = q.data;
  const can = useCan();
  const canEdit = !!c && can.canEditCohort(c);
  const qc = useQueryClient();
  const computedAt = c?.computedAt;
  // A new computation means new history points and members.
  useEffect(() => {
    if (!computedAt) return;
    void qc.invalidateQueries({ queryKey: ['cohort', id, 'history'] });
    void qc.invalidateQueries({ queryKey: ['cohort', id, 'members'] });
  }, [computedAt, id, qc]);
  const inUse = del.error instanceof ApiError && del.error.status === 409;

  return (
    <QueryState query={q} what="cohort">
      {c && (
        <Stack>
          <Group justify="space-between" align="flex-start" wrap="wrap">
            <Stack gap={4}>
              <Title order={2}>{c.name}</Title>
              <Group gap={6}>
                <StatusBadge status={c.status} />
                <Badge variant="outline" color="gray">{c.kind}</Badge>
                {c.tags.map((t) => <Badge key={t} variant="outline" size="sm" tt="none">{t}</Badge>)}
              </Group>
              {c.description && <Text size="sm" c="dimmed">{c.description}</Text>}
            </Stack>
            <Group gap="xs">
              <Button variant="default" {...linkProps(analyzeLink(c.id))}>Analyze</Button>
              <Guard allowed={canEdit} reason={REASONS.cohort}>
                <Button variant="default" {...(canEdit ? linkProps(`/cohorts/${c.id}/edit`) : {})}>Edit</Button>
              </Guard>
              <Guard allowed={canEdit} reason={REASONS.cohort}>
                <Button onClick={() => refresh.mutate()} loading={refresh.isPending || c.calculation.state === 'running'}>Recompute</Button>
              </Guard>
              <Guard allowed={can.canOwnCohort(c)} reason={REASONS.cohortOwner}>
                <Button color="red" variant="light" onClick={() => setConfirmDelete(true)}>Delete</Button>
              </Guard>
            </Group>
          </Group>
          {refresh.isError && <Alert color="red" role="alert" title="Recompute failed">{errorMessage(refresh.error)}</Alert>}
          <Paper withBorder p="md" radius="md">
            <SimpleGrid cols={{ base: 2, sm: 4 }}>
              <Stat label="Size"><span data-testid="cohort-size">{num(c.size)}</span></Stat>
              <Stat label="Last computed"><Time iso={c.computedAt} /></Stat>
              <Stat label="Calculation"><CalculationBadge calc={c.calculation} /></Stat>
              <Stat label="Took">{c.calculation.lastDurationMs === null ? '—' : `${num(c.calculation.lastDurationMs)} ms`}</Stat>
            </SimpleGrid>
            {c.calculation.lastError && (
              <Alert mt="sm" color="red" title="Last computation failed" role="alert">{c.calculation.lastError}</Alert>
            )}
          </Paper>
          <Paper withBorder p="md" radius="md" role="region" aria-label="Definition">
            <Stack gap={6}>
              <Title order={3} size="h4">Who is in it</Title>
              {c.kind === 'static' || !c.definition
                ? <Text size="sm">An uploaded list: people are added and removed by hand{canEdit ? ' (below)' : ''}.</Text>
                : <DefinitionSummary definition={c.definition} />}
              <Text size="xs" c="dimmed">
                Recomputed {c.refresh === 'manual' ? 'only when asked' : c.refresh}
                {c.kind === 'static' ? '' : '; every rule is evaluated as of the moment of computation (UTC)'}.
              </Text>
            </Stack>
          </Paper>
          <CohortWorkflow cohort={c} />
          <HistoryChart cohortId={c.id} />
          <CohortSyncs cohortId={c.id} canChange={canEdit} />
          {c.kind === 'static' && canEdit && <StaticMembersUpload cohortId={c.id} />}
          <MembersTable cohortId={c.id} cohortName={c.name} size={c.size} computedAt={c.computedAt} />
          <Modal opened={confirmDelete} onClose={() => { setConfirmDelete(false); del.reset(); }} title={`Delete ${c.name}?`}>
            <Stack>
              <Text size="sm">The cohort and its history are deleted. This cannot be undone.</Text>
              {inUse && <Alert color="yellow" role="alert">{errorMessage(del.error)} Deleting anyway also deletes its syncs.</Alert>}
              {del.isError && !inUse && <Alert color="red" role="alert">{errorMessage(del.error)}</Alert>}
              <Group justify="flex-end">
                <Button variant="default" onClick={() => setConfirmDelete(false)}>Cancel</Button>
                <Button color="red" loading={del.isPending}
                  onClick={() => del.mutate(inUse, { onSuccess: () => navigate('/cohorts') })}>
                  {inUse ? 'Delete with its syncs' : 'Delete'}
                </Button>
              </Group>
            </Stack>
          </Modal>
        </Stack>
      )}
    </QueryState>
  );
}
