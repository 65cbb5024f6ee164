import { Badge, Button, Group, Menu, Text } from '@mantine/core';
import { linkProps } from '../router';
import { ROLE_LABELS, useCan } from './permissions';
import { useSession } from './session';

/** Who is signed in (name and role), with the profile and sign-out. */
export function UserMenu() {
  const { me, role } = useCan();
  const { signOut } = useSession();
  // Not "Admin token": that is the sign-in field's label, and one label should name one thing.
  const who = me.account ? me.account.name || me.account.email : 'Bootstrap admin';
  return (
    <Menu position="bottom-end" withinPortal>
      <Menu.Target>
        <Button variant="subtle" size="xs" aria-label={`Account menu: ${who}, ${ROLE_LABELS[role]}`}>
          <Group gap={6} wrap="nowrap">
            <Text size="sm" truncate maw={180}>{who}</Text>
            <Badge size="xs" variant="light" data-testid="my-role">{ROLE_LABELS[role]}</Badge>
          </Group>
        </Button>
      </Menu.Target>
      <Menu.Dropdown>
        <Menu.Label>
          {me.account ? me.account.email : 'Signed in with the bootstrap admin token'}
        </Menu.Label>
        {me.account && <Menu.Item {...linkProps('/me')}>Profile and API tokens</Menu.Item>}
        <Menu.Item {...linkProps('/team')}>Team</Menu.Item>
        <Menu.Divider />
        <Menu.Item color="red" onClick={() => signOut()}>Sign out</Menu.Item>
      </Menu.Dropdown>
    </Menu>
  );
}
