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
  return (
    <Alert role="alert" color="red" title={notFound ? `${what ?? 'Item'} not found` : `Could not load ${what ?? 'data'}`}>
      <Group justify="space-between" wrap="nowrap" align="flex-start">
        <Text size="sm">{errorMessage(error)}</Text>
        {onRetry && !notFound && (
          <Button size="xs" variant="light" color="red" onClick={onRetry}>Retry</Button>
        )}
      </Group>
    </Alert>
  );
}
