import { Alert, Text } from '@mantine/core';
import type { Sync } from '../../api/types';
import { num } from '../../components/format';
import { plainSyncError } from './plain-errors';

/**
 * What is wrong with a sync, in plain words: a run that keeps retrying (with
 * its requests so far), or the last run's first error. The destination's own
 * words follow, smaller, for whoever fixes it.
 */
export function SyncProblem({ sync }: { sync: Sync }) {
  const run = sync.lastRun;
  if (!run || sync.paused || sync.state === 'auth_failed') return null;
  if (run.status === 'running' && run.retries > 0) {
    return (
      <Alert color="orange" role="status" title="Retrying: the destination is not accepting the data yet">
        <Text size="sm">
          {num(run.requests)} {run.requests === 1 ? 'request' : 'requests'} so far, {num(run.retries)} {run.retries === 1 ? 'retry' : 'retries'}.
          Kohort waits a little longer between tries and gives up on a batch after its last retry; the run then shows what failed.
        </Text>
      </Alert>
    );
  }
  if (run.status !== 'failed' && run.status !== 'partial' && sync.state !== 'failing') return null;
  const first = run.errors[0];
  return (
    <Alert color="red" role="alert" title={run.status === 'partial' ? 'The last run could not send some users' : 'The last run failed'}>
      {first ? (
        <>
          <Text size="sm" data-testid="sync-problem">{plainSyncError(first.message, first.status)}</Text>
          <Text size="xs" c="dimmed">Details: {first.status ? `HTTP ${first.status}: ` : ''}{first.message}</Text>
        </>
      ) : <Text size="sm">{num(run.failed)} users could not be sent.</Text>}
    </Alert>
  );
}
