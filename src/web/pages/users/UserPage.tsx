import { Alert, Badge, Group, Paper, SimpleGrid, Stack, Table, Text, Timeline, Title } from '@mantine/core';
import { useUser } from '../../api/events';
import { ApiError } from '../../api/errors';
import { PropertyList } from '../../components/PropertyList';
import { traitText } from './trait-text';
import { num } from '../../components/format';
import { QueryState } from '../../components/QueryState';
import { Stat } from '../../components/Stat';
import { Time } from '../../components/Time';
import { Link } from '../../router';
import { UserCohorts } from './UserCohorts';

export function UserPage({ userId }: { userId: string }) {
  const q = useUser(userId);
  const u = q.data;
  return (
    <Stack>
      <Title order={2}>User {userId}</Title>
      {q.error instanceof ApiError && q.error.status === 404 ? (
        <Alert color="yellow" role="alert" title="No such user yet">
          No event or identify call has named “{userId}”. People appear here once something is sent for them. <Link to="/contacts">Search contacts</Link>.
        </Alert>
      ) : <QueryState query={q} what="user">
        {u && (
          <>
            <Paper withBorder p="md" radius="md">
              <SimpleGrid cols={{ base: 1, xs: 3 }}>
                <Stat label="First seen"><Time iso={u.firstSeen} /></Stat>
                <Stat label="Last seen"><Time iso={u.lastSeen} /></Stat>
                <Stat label="Events">{num(u.eventCount)}</Stat>
              </SimpleGrid>
            </Paper>
            <SimpleGrid cols={{ base: 1, md: 2 }}>
              <Paper withBorder p="md" radius="md">
                <Title order={3} size="h4" mb="sm">Properties</Title>
                {Object.keys(u.properties).length === 0 ? (
                  <Text size="sm" c="dimmed">No properties (no identify call for this user).</Text>
                ) : (
                  <Table aria-label="User properties">
                    <Table.Tbody>
                      {Object.entries(u.properties).map(([k, v]) => (
                        <Table.Tr key={k}>
                          <Table.Th>{k}</Table.Th>
                          <Table.Td style={{ overflowWrap: 'anywhere' }} title={typeof v === 'object' && v !== null ? JSON.stringify(v) : undefined}>{traitText(v, 500)}</Table.Td>
                        </Table.Tr>
                      ))}
                    </Table.Tbody>
                  </Table>
                )}
                <Title order={3} size="h4" my="sm">Cohorts</Title>
                {u.cohorts.length === 0 ? (
                  <Text size="sm" c="dimmed">Not a member of any saved cohort.</Text>
                ) : (
                  <Group gap={6}>{u.cohorts.map((c) => <Badge key={c.id} variant="light" tt="none"><Link to={`/cohorts/${c.id}`} size="xs">{c.name}</Link></Badge>)}</Group>
                )}
              </Paper>
              <Paper withBorder p="md" radius="md">
                <Title order={3} size="h4" mb="sm">Timeline</Title>
                {u.recentEvents.length === 0 ? (
                  <Text size="sm" c="dimmed">No events.</Text>
                ) : (
                  <Timeline bulletSize={12} lineWidth={2} aria-label="Recent events">
                    {u.recentEvents.map((e, i) => (
                      <Timeline.Item key={i} title={e.event}>
                        <Text size="xs" c="dimmed"><Time iso={e.timestamp} absolute /></Text>
                        {Object.keys(e.properties ?? {}).length > 0 && <PropertyList properties={e.properties} />}
                      </Timeline.Item>
                    ))}
                  </Timeline>
                )}
              </Paper>
            </SimpleGrid>
            <UserCohorts userId={userId} memberOf={u.cohorts} />
          </>
        )}
      </QueryState>}
    </Stack>
  );
}
