import { useEffect } from 'react';
import { Alert, Badge, Button, Group, List, Loader, Paper, Stack, Text } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { usePreview } from '../api/cohorts';
import type { Definition } from '../api/definition';
import { ApiError, errorMessage } from '../api/errors';
import type { Preview } from '../api/types';
import { useApi } from '../auth/session';
import { num } from '../components/format';
import { Time } from '../components/Time';
import { Link } from '../router';
import { WhyInPanel } from './WhyInPanel';

/**
 * Live size estimate that follows edits (debounced, only for locally valid
 * definitions) and a Run button for the size with a sample of users. A Run
 * result belongs to the definition it ran: any edit clears it, so an old size
 * never sits next to new conditions. Sticky, so the size stays in view while
 * the conditions below are edited.
 */
export function PreviewPanel({
  definition,
  valid,
  incomplete = [],
  warnings = [],
  onServerIssues,
}: {
  definition: Definition;
  valid: boolean;
  /** What is left to fill in, in plain words (shown instead of a size). */
  incomplete?: string[];
  /** Names nobody has sent yet: a size of 0 is then most likely a typo. */
  warnings?: string[];
  onServerIssues: (err: unknown) => void;
}) {
  const api = useApi();
  const json = JSON.stringify(definition);
  const [debounced] = useDebouncedValue(json, 600);
  const live = useQuery({
    queryKey: ['preview', debounced],
    queryFn: async ({ signal }) => {
      try {
        return await api.request<Preview>('/v1/cohorts/preview', {
          method: 'POST', body: { definition: JSON.parse(debounced), sampleSize: 0 }, signal,
        });
      } catch (err) {
        onServerIssues(err);
        throw err;
      }
    },
    enabled: valid && debounced === json,
    placeholderData: keepPreviousData,
    retry: false,
    staleTime: 10_000,
  });
  const run = usePreview();
  const { reset } = run;
  // A Run answers for the definition it ran; the next edit makes it stale.
  useEffect(() => reset(), [json, reset]);

  return (
    <Paper withBorder p="md" radius="md" aria-label="Cohort size preview" role="region" shadow="xs" className="kohort-sticky-panel">
      <Stack gap="sm">
        <Group justify="space-between" wrap="wrap">
          <Group gap="xs" aria-live="polite">
            <Text size="sm" fw={600}>Estimated size:</Text>
            {!valid ? (
              <Text size="sm" c="dimmed" data-testid="size-incomplete">complete the conditions to see it</Text>
            ) : live.isFetching && !live.data ? (
              <Loader size="xs" aria-label="Computing size" />
            ) : live.isError ? (
              <Text size="sm" c="red">{live.error instanceof ApiError && live.error.status === 400 ? 'invalid definition' : errorMessage(live.error)}</Text>
            ) : live.data ? (
              <Text size="sm" data-testid="live-size">
                {num(live.data.size)} {live.data.size === 1 ? 'user' : 'users'} {live.isFetching && <Loader size={10} ml={4} aria-label="Updating" />}
              </Text>
            ) : null}
          </Group>
          <Button
            onClick={() => run.mutate({ definition, sampleSize: 20 }, { onError: onServerIssues })}
            loading={run.isPending}
            disabled={!valid}
          >
            Run
          </Button>
        </Group>
        {!valid && incomplete.length > 0 && (
          <List size="xs" c="dimmed" aria-label="Still to fill in">
            {incomplete.slice(0, 5).map((m) => <List.Item key={m}>{m}</List.Item>)}
          </List>
        )}
        {valid && warnings.length > 0 && (
          <Text size="xs" c="orange.8" role="status" data-testid="preview-warnings">⚠ {warnings.join(' · ')}</Text>
        )}
        {run.isError && <Alert color="red" role="alert" title="Run failed">{errorMessage(run.error)}</Alert>}
        {run.data && (
          <Stack gap={6} data-testid="run-result">
            <Text size="sm">
              <b data-testid="run-size">{num(run.data.size)}</b> {run.data.size === 1 ? 'user' : 'users'} as of <Time iso={run.data.asOf} absolute /> ({run.data.tookMs} ms)
            </Text>
            {run.data.sample.length > 0 ? (
              <Group gap={6}>
                <Text size="xs" c="dimmed">{run.data.sample.length < run.data.size ? `A random sample of ${run.data.sample.length}:` : 'All of them:'}</Text>
                {run.data.sample.map((u) => (
                  <Badge key={u} variant="light" tt="none"><Link to={`/users/${encodeURIComponent(u)}`} size="xs">{u}</Link></Badge>
                ))}
              </Group>
            ) : (
              <Text size="xs" c="dimmed">No user matches this definition.</Text>
            )}
            <WhyInPanel key={run.data.sample.join('\n')} definition={definition} sample={run.data.sample} />
          </Stack>
        )}
      </Stack>
    </Paper>
  );
}
