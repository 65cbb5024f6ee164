import { Badge, Tooltip } from '@mantine/core';
import type { Cohort, CohortStatus, Sync, SyncRun } from '../api/types';

const STATUS_COLOR: Record<CohortStatus, string> = { draft: 'gray', active: 'green', archived: 'dark' };

export function StatusBadge({ status }: { status: CohortStatus }) {
  return <Badge variant="light" color={STATUS_COLOR[status] ?? 'gray'}>{status}</Badge>;
}

export function CalculationBadge({ calc }: { calc: Cohort['calculation'] }) {
  const color = calc.state === 'failed' ? 'red' : calc.state === 'running' ? 'blue' : 'gray';
  const badge = <Badge variant="dot" color={color}>{calc.state}</Badge>;
  return calc.state === 'failed' && calc.lastError ? <Tooltip label={calc.lastError} multiline maw={360}>{badge}</Tooltip> : badge;
}

const SYNC_COLOR: Record<Sync['state'], string> = { idle: 'teal', running: 'blue', failing: 'orange', auth_failed: 'red' };

export function SyncStateBadge({ sync }: { sync: Pick<Sync, 'state' | 'paused'> }) {
  if (sync.paused) return <Badge variant="light" color="gray">paused</Badge>;
  return <Badge variant="light" color={SYNC_COLOR[sync.state]}>{sync.state.replace('_', ' ')}</Badge>;
}

const RUN_COLOR: Record<SyncRun['status'], string> = { running: 'blue', succeeded: 'green', partial: 'orange', failed: 'red' };

export function RunStatusBadge({ status }: { status: SyncRun['status'] }) {
  return <Badge variant="light" color={RUN_COLOR[status]}>{status}</Badge>;
}
