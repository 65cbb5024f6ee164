import { useState } from 'react';
import { Button, Group, Paper, Stack, Text, TextInput, Title } from '@mantine/core';
import { useLiveEvents } from '../../api/events';
import { Link, navigate } from '../../router';
import { QueryState } from '../../components/QueryState';
import { Time } from '../../components/Time';

/** Look up a user by id; lists the users of the most recent events to start from. */
export function UsersPage() {
  const [id, setId] = useState('');
  const recent = useLiveEvents({ limit: 200 });
  const seen = new Map<string, string>();
  for (const e of recent.data?.items ?? []) if (!seen.has(e.userId)) seen.set(e.userId, e.timestamp);

  return (
    <Stack>
      <Title order={2}>Users</Title>
      <Paper withBorder p="md" radius="md" component="form"
        onSubmit={(e) => { e.preventDefault(); if (id.trim()) navigate(`/users/${encodeURIComponent(id.trim())}`); }}>
        <Group align="flex-end">
          <TextInput label="User id" aria-label="User id" placeholder="e.g. user-42" value={id}
            onChange={(e) => setId(e.currentTarget.value)} w={{ base: '100%', xs: 300 }} />
          <Button type="submit" disabled={!id.trim()}>Open</Button>
        </Group>
      </Paper>
      <Title order={3} size="h4">Recently active</Title>
      <QueryState query={recent} what="recent events">
        {seen.size === 0 ? (
          <Text c="dimmed">No events received yet.</Text>
        ) : (
          <Stack gap={4}>
            {[...seen].slice(0, 50).map(([u, ts]) => (
              <Group key={u} gap="sm"><Link to={`/users/${encodeURIComponent(u)}`}>{u}</Link><Text size="xs" c="dimmed"><Time iso={ts} /></Text></Group>
            ))}
          </Stack>
        )}
      </QueryState>
    </Stack>
  );
}
