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

/**
 * A sync's state as a person reads it: a run that keeps retrying is "retrying",
 * not "running"; an idle sync whose last run failed is "failing".
 */
export function syncStateLabel(sync: Pick<Sync, 'state' | 'paused'> & { lastRun?: Sync['lastRun'] }): { label: string; color: string } {
  if (sync.paused) return { label: sync.state === 'auth_failed' ? 'paused: credentials rejected' : 'paused', color: sync.state === 'auth_failed' ? 'red' : 'gray' };
  const last = sync.lastRun;
  switch (sync.state) {
    case 'running':
      return last && last.status === 'running' && last.retries > 0 ? { label: 'retrying', color: 'orange' } : { label: 'running', color: 'blue' };
    case 'failing': return { label: 'failing', color: 'red' };
    case 'auth_failed': return { label: 'credentials rejected', color: 'red' };
    default:
      if (last && last.status === 'failed') return { label: 'failing', color: 'red' };
      if (last && last.status === 'partial') return { label: 'some users failed', color: 'orange' };
      return last ? { label: 'up to date', color: 'teal' } : { label: 'waiting for first run', color: 'gray' };
  }
}

export function SyncStateBadge({ sync }: { sync: Pick<Sync, 'state' | 'paused'> & { lastRun?: Sync['lastRun'] } }) {
  const { label, color } = syncStateLabel(sync);
  return <Badge variant="light" color={color} tt="none" data-testid="sync-state">{label}</Badge>;
}

const RUN_COLOR: Record<SyncRun['status'], string> = { running: 'blue', succeeded: 'green', partial: 'orange', failed: 'red' };

export function RunStatusBadge({ status }: { status: SyncRun['status'] }) {
  return <Badge variant="light" color={RUN_COLOR[status]}>{status}</Badge>;
}
