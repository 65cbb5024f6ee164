import { useEffect } from 'react';
import { Title, Text, Stack } from '@mantine/core';
import { matchPath, navigate, useLocation, Link } from './router';
import { CohortsList } from './pages/cohorts/CohortsList';
import { CohortBuilderPage } from './builder/CohortBuilderPage';
import { CohortDetail } from './pages/cohorts/CohortDetail';
import { LiveEvents } from './pages/events/LiveEvents';
import { UsersPage } from './pages/users/UsersPage';
import { UserPage } from './pages/users/UserPage';
import { DestinationsPage } from './pages/destinations/DestinationsPage';
import { SyncsPage } from './pages/syncs/SyncsPage';
import { SyncDetail } from './pages/syncs/SyncDetail';

function Redirect({ to }: { to: string }) {
  useEffect(() => navigate(to, { replace: true }), [to]);
  return null;
}

export function Routes() {
  const { path } = useLocation();
  let m: Record<string, string> | null;
  if (path === '/' || path === '') return <Redirect to="/cohorts" />;
  if (matchPath('/cohorts', path)) return <CohortsList />;
  if (matchPath('/cohorts/new', path)) return <CohortBuilderPage key="new" />;
  if ((m = matchPath('/cohorts/:id/edit', path))) return <CohortBuilderPage key={m.id} cohortId={m.id} />;
  if ((m = matchPath('/cohorts/:id', path))) return <CohortDetail key={m.id} id={m.id!} />;
  if (matchPath('/events', path)) return <LiveEvents />;
  if (matchPath('/users', path)) return <UsersPage />;
  if ((m = matchPath('/users/:userId', path))) return <UserPage key={m.userId} userId={m.userId!} />;
  if (matchPath('/destinations', path)) return <DestinationsPage />;
  if (matchPath('/syncs', path)) return <SyncsPage />;
  if ((m = matchPath('/syncs/:id', path))) return <SyncDetail key={m.id} id={m.id!} />;
  return (
    <Stack>
      <Title order={2}>Page not found</Title>
      <Text>Nothing lives at {path}. <Link to="/cohorts">Go to cohorts</Link>.</Text>
    </Stack>
  );
}
