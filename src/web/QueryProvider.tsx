import { useEffect, useState, type ReactNode } from 'react';
import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { ApiError } from './api/errors';
import { useSession } from './auth/session';

/** One query client per session; a 401 anywhere signs the user out with a reason. */
export function QueryProvider({ children }: { children: ReactNode }) {
  const { signOut, signedIn } = useSession();
  const [client] = useState(() => {
    const onError = (err: unknown) => {
      if (err instanceof ApiError && err.status === 401) {
        client.clear();
        signOut('The server no longer accepts this sign-in (session ended, token revoked or account disabled). Sign in again.');
      }
    };
    const client: QueryClient = new QueryClient({
      queryCache: new QueryCache({ onError }),
      mutationCache: new MutationCache({ onError }),
      defaultOptions: {
        queries: {
          staleTime: 5_000,
          retry: (n, err) => !(err instanceof ApiError && err.status < 500) && n < 2,
          refetchOnWindowFocus: true,
        },
      },
    });
    return client;
  });
  // Nothing cached under one session may show under another.
  useEffect(() => {
    if (!signedIn) client.clear();
  }, [signedIn, client]);
  return <QueryClientProvider client={client}>{children}</QueryClientProvider>;
}
