import type { ReactNode } from 'react';
import { Alert, Button, Center, Group, Loader, Stack, Text } from '@mantine/core';
import { useMe } from '../api/accounts';
import { errorMessage } from '../api/errors';
import { MeContext } from './permissions';
import { useSession } from './session';

/**
 * Learns who is signed in (GET /v1/me) before the app renders, so every page
 * knows the role from its first paint instead of flashing controls it then hides.
 * A 401 signs the tab out (QueryProvider); anything else offers a retry.
 */
export function AccountGate({ children }: { children: ReactNode }) {
  const { signOut } = useSession();
  const me = useMe();
  if (me.data) return <MeContext.Provider value={me.data}>{children}</MeContext.Provider>;
  if (me.isError) {
    return (
      <Center mih="100vh" p="md">
        <Stack maw={440}>
          <Alert role="alert" color="red" title="Could not load your account">
            <Text size="sm">{errorMessage(me.error)}</Text>
          </Alert>
          <Group>
            <Button onClick={() => me.refetch()} loading={me.isFetching}>Try again</Button>
            <Button variant="subtle" onClick={() => signOut()}>Sign out</Button>
          </Group>
        </Stack>
      </Center>
    );
  }
  return (
    <Center mih="100vh" aria-busy="true">
      <Loader size="sm" aria-label="Loading your account" />
    </Center>
  );
}
