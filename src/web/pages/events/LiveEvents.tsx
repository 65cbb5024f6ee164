import { useCallback, useEffect, useState } from 'react';
import { Autocomplete, Badge, Group, Stack, Switch, Table, Text, TextInput, Title } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useEventTypes, useLiveEvents } from '../../api/events';
import type { LiveEvent } from '../../api/types';
import { Time } from '../../components/Time';
import { PropertyList } from '../../components/PropertyList';
import { QueryState } from '../../components/QueryState';
import { Link } from '../../router';
import { useEventStream, type StreamState } from './useEventStream';

const MAX_ROWS = 200;
const STATE_BADGE: Record<StreamState, { color: string; label: string }> = {
  open: { color: 'green', label: 'live' },
  connecting: { color: 'yellow', label: 'connecting…' },
  error: { color: 'red', label: 'disconnected' },
};

/** Newest event time first; the same time, newest arrival first. */
function byTime(events: LiveEvent[]): LiveEvent[] {
  return [...events].sort((a, b) => b.timestamp.localeCompare(a.timestamp) || b.receivedAt.localeCompare(a.receivedAt));
}

export function LiveEvents() {
  const types = useEventTypes();
  const [eventInput, setEventInput] = useState('');
  const [userInput, setUserInput] = useState('');
  const [paused, setPaused] = useState(false);
  const [filterEvent] = useDebouncedValue(eventInput.trim(), 400);
  const [filterUser] = useDebouncedValue(userInput.trim(), 400);
  const filter = { event: filterEvent || undefined, userId: filterUser || undefined };
  const initial = useLiveEvents(filter);
  const [rows, setRows] = useState<LiveEvent[]>([]);

  useEffect(() => {
    if (initial.data) setRows(byTime(initial.data.items));
  }, [initial.data]);

  // Events arrive in any order of their own timestamps (late batches, clock skew): keep the table in time order.
  const onEvent = useCallback((e: LiveEvent) => setRows((r) => byTime([e, ...r]).slice(0, MAX_ROWS)), []);
  const state = useEventStream(filter, onEvent, !paused);
  const badge = paused ? { color: 'gray', label: 'paused' } : STATE_BADGE[state];

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>Live events</Title>
        <Group gap="sm">
          <Badge color={badge.color} variant="dot" aria-live="polite" data-testid="stream-state">{badge.label}</Badge>
          <Switch label="Pause" aria-label="Pause the live stream" checked={paused} onChange={(e) => setPaused(e.currentTarget.checked)} />
        </Group>
      </Group>
      <Group gap="sm" role="search" aria-label="Filter events">
        <Autocomplete label="Event" aria-label="Filter by event name" placeholder="All events" clearable
          data={(types.data ?? []).map((t) => t.name)} value={eventInput} onChange={setEventInput} w={{ base: '100%', xs: 220 }} />
        <TextInput label="User" aria-label="Filter by user id" placeholder="All users" value={userInput}
          onChange={(e) => setUserInput(e.currentTarget.value)} w={{ base: '100%', xs: 220 }} />
      </Group>
      <QueryState query={initial} what="events">
        {rows.length === 0 ? (
          <Text c="dimmed" py="lg">
            No events{filter.event || filter.userId ? ' match these filters' : ' yet'}. New events appear here as they arrive.
          </Text>
        ) : (
          <Table.ScrollContainer minWidth={640}>
            <Table striped aria-label="Events, newest first" data-testid="events-table">
              <Table.Thead>
                <Table.Tr><Table.Th>Time</Table.Th><Table.Th>Event</Table.Th><Table.Th>User</Table.Th><Table.Th>Properties</Table.Th></Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {rows.map((e, i) => (
                  <Table.Tr key={`${e.receivedAt}-${e.userId}-${e.event}-${i}`}>
                    <Table.Td style={{ whiteSpace: 'nowrap' }}><Time iso={e.timestamp} absolute /></Table.Td>
                    <Table.Td><Badge variant="light" tt="none">{e.event}</Badge></Table.Td>
                    <Table.Td><Link to={`/users/${encodeURIComponent(e.userId)}`}>{e.userId}</Link></Table.Td>
                    <Table.Td><PropertyList properties={e.properties} /></Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </QueryState>
    </Stack>
  );
}
