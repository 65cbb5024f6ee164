import { useState, type FormEvent } from 'react';
import { Alert, Button, Center, Code, Paper, PasswordInput, Stack, Text, Title } from '@mantine/core';
import { verifyToken } from '../api/client';
import { ApiError, NetworkError } from '../api/errors';
import { useSession } from './session';

type Problem = { kind: 'unreachable' | 'rejected' | 'other'; message: string } | null;

export function SignIn() {
  const { signIn, signOutReason } = useSession();
  const [token, setToken] = useState('');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem>(
    signOutReason ? { kind: 'rejected', message: signOutReason } : null,
  );

  async function submit(e: FormEvent) {
    e.preventDefault();
    const t = token.trim();
    if (!t) {
      setProblem({ kind: 'other', message: 'Enter the admin token.' });
      return;
    }
    setBusy(true);
    setProblem(null);
    try {
      await verifyToken(t);
      signIn(t);
    } catch (err) {
      if (err instanceof NetworkError) {
        setProblem({ kind: 'unreachable', message: 'The Kohort server is unreachable. Check that it is running, then try again.' });
      } else if (err instanceof ApiError && err.isAuth) {
        setProblem({ kind: 'rejected', message: 'This token was rejected. Use the admin token printed when the server first started (or KOHORT_ADMIN_TOKEN).' });
      } else {
        setProblem({ kind: 'other', message: err instanceof Error ? err.message : String(err) });
      }
    } finally {
      setBusy(false);
    }
  }

  return (
    <Center mih="100vh" p="md">
      <Paper withBorder shadow="sm" p="xl" w="100%" maw={420} component="form" onSubmit={submit}>
        <Stack>
          <Title order={1} size="h2">Kohort</Title>
          <Text c="dimmed" size="sm">
            Sign in with the admin token. It is kept only in this browser tab's session.
          </Text>
          {problem && (
            <Alert
              role="alert"
              color={problem.kind === 'unreachable' ? 'orange' : 'red'}
              title={problem.kind === 'unreachable' ? 'Server unreachable' : problem.kind === 'rejected' ? 'Token rejected' : 'Cannot sign in'}
            >
              {problem.message}
            </Alert>
          )}
          <PasswordInput
            label="Admin token"
            aria-label="Admin token"
            autoComplete="current-password"
            autoFocus
            value={token}
            onChange={(e) => setToken(e.currentTarget.value)}
          />
          <Button type="submit" loading={busy}>Sign in</Button>
          <Text size="xs" c="dimmed">
            The token is in <Code>KOHORT_ADMIN_TOKEN</Code> or in the data directory, printed once at first start.
          </Text>
        </Stack>
      </Paper>
    </Center>
  );
}
