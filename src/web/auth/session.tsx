import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';
import { ApiClient } from '../api/client';
import { logout } from './login';

/** How the tab is signed in: the bootstrap admin token, or an account's session token. */
export type SessionKind = 'admin_token' | 'session';

// One key per kind; the admin token keeps the key it always had.
const KEYS: Record<SessionKind, string> = { admin_token: 'kohort.adminToken', session: 'kohort.sessionToken' };

interface Stored {
  token: string;
  kind: SessionKind;
}

interface Session {
  token: string | null;
  kind: SessionKind | null;
  api: ApiClient | null;
  /** Why the user was signed out (a rejected token), shown on the sign-in screen. */
  signOutReason: string | null;
  signIn(token: string, kind?: SessionKind): void;
  /**
   * Forgets the credential in this tab. Without a reason it is the user's choice,
   * so a session token is also ended on the server; with a reason the server
   * already refused it and there is nothing to end.
   */
  signOut(reason?: string): void;
}

const SessionContext = createContext<Session | null>(null);

function readStored(): Stored | null {
  try {
    for (const kind of ['session', 'admin_token'] as const) {
      const token = sessionStorage.getItem(KEYS[kind]);
      if (token) return { token, kind };
    }
  } catch {
    // Storage disabled: the tab starts signed out.
  }
  return null;
}

function clearStored() {
  for (const key of Object.values(KEYS)) sessionStorage.removeItem(key);
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const [stored, setStored] = useState<Stored | null>(readStored);
  const [signOutReason, setReason] = useState<string | null>(null);

  const signIn = useCallback((token: string, kind: SessionKind = 'admin_token') => {
    clearStored();
    sessionStorage.setItem(KEYS[kind], token);
    setReason(null);
    setStored({ token, kind });
  }, []);
  const signOut = useCallback((reason?: string) => {
    const current = readStored();
    clearStored();
    // Ending the session is best effort: the tab forgets the token either way,
    // and an unreachable server must not keep anyone signed in here.
    if (!reason && current?.kind === 'session') void logout(current.token).catch(() => {});
    setReason(reason ?? null);
    setStored(null);
  }, []);

  const value = useMemo<Session>(
    () => ({
      token: stored?.token ?? null,
      kind: stored?.kind ?? null,
      api: stored ? new ApiClient(stored.token) : null,
      signOutReason,
      signIn,
      signOut,
    }),
    [stored, signOutReason, signIn, signOut],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside SessionProvider');
  return s;
}

/** The API client of the signed-in session (only used below the sign-in gate). */
export function useApi(): ApiClient {
  const { api } = useSession();
  if (!api) throw new Error('useApi without a session');
  return api;
}
