import type { ReactNode } from 'react';
import { useQuery } from '@tanstack/react-query';
import { Alert, Button, Center, Stack, Text } from '@mantine/core';
import { NetworkError } from '../api/errors';
import { useSession } from './session';

async function health(): Promise<{ ok: boolean; version?: string }> {
  let res: Response;
  try {
    res = await fetch('/healthz');
  } catch (err) {
    throw new NetworkError(err);
  }
  if (!res.ok) throw new NetworkError(new Error(`HTTP ${res.status}`));
  return res.json();
}

/** Shows a full-screen notice while the server cannot be reached, instead of a wall of failed requests. */
export function ServerGate({ children }: { children: ReactNode }) {
  const { signOut } = useSession();
  const q = useQuery({ queryKey: ['healthz'], queryFn: health, refetchInterval: 30_000, retry: 1 });
  if (q.isError) {
    return (
      <Center mih="100vh" p="md">
        <Stack maw={440}>
          <Alert role="alert" color="orange" title="Server unreachable">
            <Text size="sm">The Kohort server is not answering. It may be stopped or restarting.</Text>
          </Alert>
          <Button onClick={() => q.refetch()} loading={q.isFetching}>Try again</Button>
          <Button variant="subtle" onClick={() => signOut()}>Sign out</Button>
        </Stack>
      </Center>
    );
  }
  return <>{children}</>;
}
