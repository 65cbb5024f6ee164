import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';
import { ApiClient, csrfToken, forgetCsrfToken } from '../api/client';
import { logout } from './login';

/** How the browser is signed in: with the bootstrap admin token, or an account's password. */
export type SessionKind = 'admin_token' | 'session';

interface Session {
  /**
   * Whether this browser holds a session. The session itself is an HttpOnly
   * cookie no script can read; its companion CSRF cookie says one is there, so
   * every tab of the browser starts signed in. The server has the last word:
   * a 401 signs the tab out.
   */
  signedIn: boolean;
  api: ApiClient | null;
  /** Why the user was signed out (a refused session), shown on the sign-in screen. */
  signOutReason: string | null;
  /** After the server set the session cookies (login.ts). */
  signIn(): void;
  /**
   * Without a reason it is the user's choice: the session is ended on the
   * server (which clears the cookies). With a reason the server already
   * refused it: only the readable cookie is dropped.
   */
  signOut(reason?: string): void;
}

const SessionContext = createContext<Session | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [signedIn, setSignedIn] = useState<boolean>(() => csrfToken() !== null);
  const [signOutReason, setReason] = useState<string | null>(null);

  const signIn = useCallback(() => {
    setReason(null);
    setSignedIn(true);
  }, []);
  const signOut = useCallback((reason?: string) => {
    // Ending the session is best effort: the tab shows the sign-in screen either
    // way, and an unreachable server must not keep anyone signed in here.
    // The logout request carries the CSRF cookie's value, so that cookie goes once it is answered.
    if (reason) forgetCsrfToken();
    else void logout().catch(() => {}).finally(forgetCsrfToken);
    setReason(reason ?? null);
    setSignedIn(false);
  }, []);

  const value = useMemo<Session>(
    () => ({ signedIn, api: signedIn ? new ApiClient() : null, signOutReason, signIn, signOut }),
    [signedIn, signOutReason, signIn, signOut],
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
