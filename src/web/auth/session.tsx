import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';
import { ApiClient } from '../api/client';

const STORAGE_KEY = 'kohort.adminToken';

interface Session {
  token: string | null;
  api: ApiClient | null;
  /** Why the user was signed out (a rejected token), shown on the sign-in screen. */
  signOutReason: string | null;
  signIn(token: string): void;
  signOut(reason?: string): void;
}

const SessionContext = createContext<Session | null>(null);

function readToken(): string | null {
  try {
    return sessionStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const [token, setToken] = useState<string | null>(readToken);
  const [signOutReason, setReason] = useState<string | null>(null);

  const signIn = useCallback((t: string) => {
    sessionStorage.setItem(STORAGE_KEY, t);
    setReason(null);
    setToken(t);
  }, []);
  const signOut = useCallback((reason?: string) => {
    sessionStorage.removeItem(STORAGE_KEY);
    setReason(reason ?? null);
    setToken(null);
  }, []);

  const value = useMemo<Session>(
    () => ({ token, api: token ? new ApiClient(token) : null, signOutReason, signIn, signOut }),
    [token, signOutReason, signIn, signOut],
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
