import { useState, type FormEvent } from 'react';
import { Alert, Button, Center, Code, Paper, PasswordInput, Stack, Text, TextInput, Title } from '@mantine/core';
import { ApiError, NetworkError } from '../api/errors';
import { login, loginWithAdminToken, LoginThrottled, waitText } from './login';
import { useSession } from './session';

type Problem = { title: string; message: string; color: 'red' | 'orange' } | null;

const UNREACHABLE: Problem = {
  title: 'Server unreachable',
  message: 'The Kohort server is unreachable. Check that it is running, then try again.',
  color: 'orange',
};

function problemOf(err: unknown, mode: 'password' | 'token'): Problem {
  if (err instanceof NetworkError) return UNREACHABLE;
  if (err instanceof LoginThrottled) {
    return {
      title: 'Too many attempts',
      message: err.retryAfterSeconds !== null
        ? `Too many failed sign-ins for this email. Try again ${waitText(err.retryAfterSeconds)}.`
        : err.message,
      color: 'orange',
    };
  }
  if (err instanceof ApiError && err.status === 401) {
    return mode === 'password'
      ? { title: 'Wrong email or password', message: 'The email or the password is not right. Check both and try again.', color: 'red' }
      : { title: 'Token rejected', message: 'This token was rejected. Use the admin token printed when the server first started (or KOHORT_ADMIN_TOKEN).', color: 'red' };
  }
  return { title: 'Cannot sign in', message: err instanceof Error ? err.message : String(err), color: 'red' };
}

/** Email and password is the usual way in; the bootstrap admin token stays available (first start, recovery). */
export function SignIn() {
  const { signIn, signOutReason } = useSession();
  const [mode, setMode] = useState<'password' | 'token'>('password');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [token, setToken] = useState('');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem>(
    signOutReason ? { title: 'Signed out', message: signOutReason, color: 'red' } : null,
  );

  function switchTo(next: 'password' | 'token') {
    setMode(next);
    setProblem(null);
  }

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (mode === 'password' ? !email.trim() || !password : !token.trim()) {
      setProblem({ title: 'Cannot sign in', message: mode === 'password' ? 'Enter your email and password.' : 'Enter the admin token.', color: 'red' });
      return;
    }
    setBusy(true);
    setProblem(null);
    try {
      if (mode === 'password') await login(email.trim(), password);
      else await loginWithAdminToken(token.trim());
      signIn();
    } catch (err) {
      setProblem(problemOf(err, mode));
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
            {mode === 'password'
              ? 'Sign in with your account. This browser stays signed in (every tab) until you sign out.'
              : 'Sign in with the admin token. The browser keeps a session, never the token itself.'}
          </Text>
          {problem && (
            <Alert role="alert" color={problem.color} title={problem.title}>{problem.message}</Alert>
          )}
          {mode === 'password' ? (
            <>
              <TextInput label="Email" type="email" autoComplete="username" autoFocus
                value={email} onChange={(e) => setEmail(e.currentTarget.value)} />
              <PasswordInput label="Password" autoComplete="current-password"
                value={password} onChange={(e) => setPassword(e.currentTarget.value)} />
            </>
          ) : (
            <PasswordInput label="Admin token" aria-label="Admin token" autoComplete="current-password" autoFocus
              value={token} onChange={(e) => setToken(e.currentTarget.value)} />
          )}
          <Button type="submit" loading={busy}>Sign in</Button>
          {mode === 'password' ? (
            <Button variant="subtle" size="xs" onClick={() => switchTo('token')}>Use the admin token instead</Button>
          ) : (
            <>
              <Button variant="subtle" size="xs" onClick={() => switchTo('password')}>Use email and password instead</Button>
              <Text size="xs" c="dimmed">
                The token is in <Code>KOHORT_ADMIN_TOKEN</Code> or in the data directory, printed once at first start.
              </Text>
            </>
          )}
        </Stack>
      </Paper>
    </Center>
  );
}
