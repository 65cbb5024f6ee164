import type { ReactNode } from 'react';
import { AppShell, Burger, Button, Group, NavLink, Title } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useSession } from '../auth/session';
import { linkProps, useLocation } from '../router';

const NAV = [
  { to: '/cohorts', label: 'Cohorts' },
  { to: '/events', label: 'Live events' },
  { to: '/users', label: 'Users' },
  { to: '/destinations', label: 'Destinations' },
  { to: '/syncs', label: 'Syncs' },
];

export function AppLayout({ children }: { children: ReactNode }) {
  const [opened, { toggle, close }] = useDisclosure();
  const { signOut } = useSession();
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
          <Button variant="subtle" size="xs" onClick={() => signOut()}>Sign out</Button>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" aria-label="Main navigation" component="nav">
        {NAV.map((n) => (
          <NavLink
            key={n.to}
            label={n.label}
            active={path === n.to || path.startsWith(n.to + '/')}
            aria-current={path === n.to || path.startsWith(n.to + '/') ? 'page' : undefined}
            {...linkProps(n.to)}
            onClickCapture={close}
          />
        ))}
      </AppShell.Navbar>
      <AppShell.Main id="main" tabIndex={-1}>{children}</AppShell.Main>
    </AppShell>
  );
}
