import { lazy, Suspense, useEffect, type ReactNode } from 'react';
import { Center, Loader, Title, Text, Stack } from '@mantine/core';
import { matchPath, navigate, useLocation, Link } from './router';
import { CohortsList } from './pages/cohorts/CohortsList';
import { LiveEvents } from './pages/events/LiveEvents';
import { ContactsPage } from './pages/contacts/ContactsPage';
import { UserPage } from './pages/users/UserPage';
import { DestinationsPage } from './pages/destinations/DestinationsPage';
import { SyncsPage } from './pages/syncs/SyncsPage';
import { SyncDetail } from './pages/syncs/SyncDetail';
import { AccountsPage } from './pages/team/AccountsPage';
import { ProfilePage } from './pages/me/ProfilePage';
import { AuditPage } from './pages/audit/AuditPage';
import { RequireWrite } from './auth/NoPermission';

// The builder and the chart-heavy detail page load on first use.
const CohortBuilderPage = lazy(() => import('./builder/CohortBuilderPage').then((m) => ({ default: m.CohortBuilderPage })));
const CreateCohortPage = lazy(() => import('./pages/cohorts/create/CreateCohortPage').then((m) => ({ default: m.CreateCohortPage })));
const AnalyzePage = lazy(() => import('./pages/analyze/AnalyzePage').then((m) => ({ default: m.AnalyzePage })));
const CohortDetail = lazy(() => import('./pages/cohorts/CohortDetail').then((m) => ({ default: m.CohortDetail })));

function Lazy({ children }: { children: ReactNode }) {
  return <Suspense fallback={<Center py="xl"><Loader size="sm" aria-label="Loading page" /></Center>}>{children}</Suspense>;
}

function Redirect({ to }: { to: string }) {
  useEffect(() => navigate(to, { replace: true }), [to]);
  return null;
}

export function Routes() {
  const { path, search } = useLocation();
  let m: Record<string, string> | null;
  if (path === '/' || path === '') return <Redirect to="/cohorts" />;
  if (matchPath('/cohorts', path)) return <CohortsList />;
  // The same element for both wizard URLs: creating the cohort moves the URL without a remount.
  if (matchPath('/cohorts/new', path)) return <RequireWrite action="create cohorts"><Lazy><CreateCohortPage key="wizard" /></Lazy></RequireWrite>;
  if ((m = matchPath('/cohorts/:id/setup', path))) {
    return <RequireWrite action="create cohorts"><Lazy><CreateCohortPage key="wizard" cohortId={m.id} step={Number(search.get('step')) || 1} /></Lazy></RequireWrite>;
  }
  if ((m = matchPath('/cohorts/:id/edit', path))) return <Lazy><CohortBuilderPage key={m.id} cohortId={m.id} /></Lazy>;
  if ((m = matchPath('/cohorts/:id', path))) return <Lazy><CohortDetail key={m.id} id={m.id!} /></Lazy>;
  if (matchPath('/analyze', path)) return <Lazy><AnalyzePage /></Lazy>;
  if (matchPath('/events', path)) return <LiveEvents />;
  if (matchPath('/contacts', path)) return <ContactsPage />;
  // The people directory is Contacts now; old links to /users keep working.
  if (matchPath('/users', path)) return <Redirect to="/contacts" />;
  if ((m = matchPath('/users/:userId', path))) return <UserPage key={m.userId} userId={m.userId!} />;
  if (matchPath('/destinations', path)) return <DestinationsPage />;
  if (matchPath('/syncs', path)) return <SyncsPage />;
  if ((m = matchPath('/syncs/:id', path))) return <SyncDetail key={m.id} id={m.id!} />;
  if (matchPath('/team', path)) return <AccountsPage />;
  if (matchPath('/me', path)) return <ProfilePage />;
  if (matchPath('/audit', path)) return <AuditPage />;
  return (
    <Stack>
      <Title order={2}>Page not found</Title>
      <Text>Nothing lives at {path}. <Link to="/cohorts">Go to cohorts</Link>.</Text>
    </Stack>
  );
}
