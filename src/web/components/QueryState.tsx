import type { ReactNode } from 'react';
import { Alert, Button, Center, Group, Loader, Text } from '@mantine/core';
import { ApiError, errorMessage } from '../api/errors';

/** Loading and error states for a query, with a retry. */
export function QueryState({
  query,
  children,
  what,
}: {
  query: { isPending: boolean; isError: boolean; error: unknown; refetch: () => unknown };
  what: string;
  children: ReactNode;
}) {
  if (query.isPending) {
    return (
      <Center py="xl" aria-busy="true">
        <Loader size="sm" aria-label={`Loading ${what}`} />
      </Center>
    );
  }
  if (query.isError) return <ErrorAlert error={query.error} what={what} onRetry={() => query.refetch()} />;
  return <>{children}</>;
}

export function ErrorAlert({ error, what, onRetry }: { error: unknown; what?: string; onRetry?: () => void }) {
  // A 404 from a route that does not exist is not an unknown id.
  const notFound = error instanceof ApiError && error.status === 404 && error.code !== 'not_found_route' && !/^No route/i.test(error.message);
  // A refusal is an answer, not a failure: no retry, and the server's reason as is.
  const forbidden = error instanceof ApiError && error.status === 403;
  const title = forbidden ? `You don't have permission to see ${what ?? 'this'}` : notFound ? `${what ?? 'Item'} not found` : `Could not load ${what ?? 'data'}`;
  return (
    <Alert role="alert" color={forbidden ? 'yellow' : 'red'} title={title}>
      <Group justify="space-between" wrap="nowrap" align="flex-start">
        <Text size="sm">{forbidden ? error.message : errorMessage(error)}</Text>
        {onRetry && !notFound && !forbidden && (
          <Button size="xs" variant="light" color="red" onClick={onRetry}>Retry</Button>
        )}
      </Group>
    </Alert>
  );
}
