import { useEffect, useState } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { useDebouncedValue } from '@mantine/hooks';
import { Alert, Button, Group, Paper, Stack, Table, Text, TextInput, Title, Tooltip } from '@mantine/core';
import { useContacts } from '../../api/contacts';
import { errorMessage } from '../../api/errors';
import { useApi } from '../../auth/session';
import { num } from '../../components/format';
import { Time } from '../../components/Time';
import { traitText } from '../users/trait-text';
import { QueryState } from '../../components/QueryState';
import { Link } from '../../router';

export function MembersTable({ cohortId, cohortName, size, computedAt }: {
  cohortId: string; cohortName: string; size: number | null; computedAt?: string | null;
}) {
  const api = useApi();
  const [search, setSearch] = useState('');
  // The server searches the whole membership, not just the pages loaded here.
  const [debounced] = useDebouncedValue(search, 250);
  // Members come with their traits and dates from the contacts directory, filtered to this cohort.
  const q = useContacts({ cohortId, q: debounced, filters: [] });
  // A computation or an upload changes who is in: read the list again.
  const qc = useQueryClient();
  useEffect(() => {
    void qc.invalidateQueries({ queryKey: ['contacts'] });
  }, [qc, size, computedAt]);
  const [downloading, setDownloading] = useState<'ids' | 'traits' | null>(null);
  const [downloadError, setDownloadError] = useState<unknown>(null);
  const members = q.data?.pages.flatMap((p) => p.items) ?? [];
  const searching = debounced.trim() !== '';

  /** `traits`: every trait the members have, one column each (`?traits=all`). */
  async function downloadCsv(what: 'ids' | 'traits') {
    setDownloading(what);
    setDownloadError(null);
    try {
      // A plain link cannot carry the bearer token, so fetch and hand the browser a blob.
      const res = await api.raw(`/v1/cohorts/${cohortId}/members`, { accept: 'text/csv', query: what === 'traits' ? { traits: 'all' } : undefined });
      const blob = await res.blob();
      const url = URL.createObjectURL(blob);
      const a = document.createElement('a');
      a.href = url;
      a.download = `${cohortName.replace(/[^\w.-]+/g, '_') || 'cohort'}-${cohortId}-members${what === 'traits' ? '-traits' : ''}.csv`;
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (err) {
      setDownloadError(err);
    } finally {
      setDownloading(null);
    }
  }

  return (
    <Paper withBorder p="md" radius="md">
      <Stack gap="sm">
        <Group justify="space-between" wrap="wrap">
          <Title order={3} size="h4">Members</Title>
          <Group gap="xs">
            <Button variant="default" size="xs" onClick={() => downloadCsv('ids')} loading={downloading === 'ids'} disabled={downloading === 'traits'}>Download CSV</Button>
            <Tooltip label="user_id, then one column per trait (email, plan, …)">
              <Button variant="default" size="xs" onClick={() => downloadCsv('traits')} loading={downloading === 'traits'} disabled={downloading === 'ids'}>Download CSV with traits</Button>
            </Tooltip>
          </Group>
        </Group>
        {downloadError != null && <Alert color="red" role="alert">{errorMessage(downloadError)}</Alert>}
        <TextInput aria-label="Search members" placeholder="Search members by user id or trait value"
          value={search} onChange={(e) => setSearch(e.currentTarget.value)} />
        <QueryState query={q} what="members">
          {members.length === 0 && searching ? (
            <Text size="sm" c="dimmed">No member's id or traits contain “{debounced.trim()}”.</Text>
          ) : members.length === 0 ? (
            <Text size="sm" c="dimmed">No members{size === null ? ' yet: the cohort has not been computed' : ''}.</Text>
          ) : (
            <Table.ScrollContainer minWidth={620}>
              <Table aria-label="Members" striped>
                <Table.Thead>
                  <Table.Tr><Table.Th>User id</Table.Th><Table.Th>Email</Table.Th><Table.Th>Traits</Table.Th><Table.Th>First seen</Table.Th><Table.Th>Last seen</Table.Th></Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {members.map((m) => {
                    const { email, ...traits } = m.properties;
                    const shown = Object.entries(traits).slice(0, 3);
                    return (
                      <Table.Tr key={m.userId}>
                        <Table.Td><Link to={`/users/${encodeURIComponent(m.userId)}`}>{m.userId}</Link></Table.Td>
                        <Table.Td><Text size="sm">{email === undefined ? '—' : traitText(email)}</Text></Table.Td>
                        <Table.Td>
                          <Text size="xs">
                            {shown.length === 0 ? <Text span c="dimmed" size="xs">none</Text> : shown.map(([k, v], i) => (
                              <span key={k}>{i > 0 && ', '}<Text span c="dimmed" size="xs">{k}:</Text> {traitText(v, 40)}</span>
                            ))}
                            {Object.keys(traits).length > shown.length && <Text span c="dimmed" size="xs"> +{Object.keys(traits).length - shown.length} more</Text>}
                          </Text>
                        </Table.Td>
                        <Table.Td><Text size="sm"><Time iso={m.firstSeen} /></Text></Table.Td>
                        <Table.Td><Text size="sm"><Time iso={m.lastSeen} /></Text></Table.Td>
                      </Table.Tr>
                    );
                  })}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          )}
          <Group justify="space-between">
            <Text size="xs" c="dimmed">
              {searching ? `${num(members.length)} matching loaded` : `${num(members.length)} of ${num(size)} loaded`}
            </Text>
            {q.hasNextPage && (
              <Button size="xs" variant="default" onClick={() => q.fetchNextPage()} loading={q.isFetchingNextPage}>Load more</Button>
            )}
          </Group>
        </QueryState>
      </Stack>
    </Paper>
  );
}
