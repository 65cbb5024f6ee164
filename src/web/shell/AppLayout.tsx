import type { ReactNode } from 'react';
import { AppShell, Burger, Group, NavLink, Title } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useCan } from '../auth/permissions';
import { UserMenu } from '../auth/UserMenu';
import { linkProps, useLocation } from '../router';

const NAV = [
  { to: '/cohorts', label: 'Cohorts' },
  { to: '/analyze', label: 'Analyze' },
  { to: '/events', label: 'Live events' },
  // A user's page belongs to the people directory.
  { to: '/contacts', label: 'Contacts', also: '/users' },
  { to: '/destinations', label: 'Destinations' },
  { to: '/syncs', label: 'Syncs' },
  { to: '/team', label: 'Team' },
  { to: '/audit', label: 'Audit log', adminOnly: true },
];

export function AppLayout({ children }: { children: ReactNode }) {
  const [opened, { toggle, close }] = useDisclosure();
  const { canAdmin } = useCan();
  const { path } = useLocation();

  return (
    <AppShell
      header={{ height: 56 }}
      navbar={{ width: 220, breakpoint: 'sm', collapsed: { mobile: !opened } }}
      padding="md"
    >
      <a href="#main" className="kohort-skip-link">Skip to content</a>
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between">
          <Group gap="sm">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label="Toggle navigation" />
            <Title order={1} size="h3">Kohort</Title>
          </Group>
          <UserMenu />
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" aria-label="Main navigation" component="nav">
        {NAV.filter((n) => !n.adminOnly || canAdmin).map((n) => (
          <NavLink
            key={n.to}
            label={n.label}
            active={[n.to, n.also].some((p) => p && (path === p || path.startsWith(p + '/')))}
            aria-current={[n.to, n.also].some((p) => p && (path === p || path.startsWith(p + '/'))) ? 'page' : undefined}
            {...linkProps(n.to)}
            onClickCapture={close}
          />
        ))}
      </AppShell.Navbar>
      <AppShell.Main id="main" tabIndex={-1}>{children}</AppShell.Main>
    </AppShell>
  );
}
