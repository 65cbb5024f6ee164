import { useSession } from './auth/session';
import { SignIn } from './auth/SignIn';
import { AppLayout } from './shell/AppLayout';
import { Routes } from './Routes';
import { ServerGate } from './auth/ServerGate';
import { AccountGate } from './auth/AccountGate';

export function App() {
  const { signedIn } = useSession();
  if (!signedIn) return <SignIn />;
  return (
    <ServerGate>
      <AccountGate>
        <AppLayout>
          <Routes />
        </AppLayout>
      </AccountGate>
    </ServerGate>
  );
}
