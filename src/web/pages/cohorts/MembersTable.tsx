import { useState } from 'react';
import { useDebouncedValue } from '@mantine/hooks';
import { Alert, Button, Group, Paper, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useCohortMembers } from '../../api/cohorts';
import { errorMessage } from '../../api/errors';
import { useApi } from '../../auth/session';
import { num } from '../../components/format';
import { QueryState } from '../../components/QueryState';
import { Link } from '../../router';

export function MembersTable({ cohortId, cohortName, size }: { cohortId: string; cohortName: string; size: number | null }) {
  const api = useApi();
  const [search, setSearch] = useState('');
  // The server searches the whole membership, not just the pages loaded here.
  const [debounced] = useDebouncedValue(search, 250);
  const q = useCohortMembers(cohortId, debounced);
  const [downloading, setDownloading] = useState(false);
  const [downloadError, setDownloadError] = useState<unknown>(null);
  const members = q.data?.pages.flatMap((p) => p.items) ?? [];
  const searching = debounced.trim() !== '';

  async function downloadCsv() {
    setDownloading(true);
    setDownloadError(null);
    try {
      // A plain link cannot carry the bearer token, so fetch and hand the browser a blob.
      const res = await api.raw(`/v1/cohorts/${cohortId}/members`, { accept: 'text/csv' });
      const blob = await res.blob();
      const url = URL.createObjectURL(blob);
      const a = document.createElement('a');
      a.href = url;
      a.download = `${cohortName.replace(/[^\w.-]+/g, '_') || 'cohort'}-${cohortId}-members.csv`;
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (err) {
      setDownloadError(err);
    } finally {
      setDownloading(false);
    }
  }

  return (
    <Paper withBorder p="md" radius="md">
      <Stack gap="sm">
        <Group justify="space-between" wrap="wrap">
          <Title order={3} size="h4">Members</Title>
          <Button variant="default" size="xs" onClick={downloadCsv} loading={downloading}>Download CSV</Button>
        </Group>
        {downloadError != null && <Alert color="red" role="alert">{errorMessage(downloadError)}</Alert>}
        <TextInput aria-label="Search members" placeholder="Search members by user id"
          value={search} onChange={(e) => setSearch(e.currentTarget.value)} />
        <QueryState query={q} what="members">
          {members.length === 0 && searching ? (
            <Text size="sm" c="dimmed">No member's id contains “{debounced.trim()}”.</Text>
          ) : members.length === 0 ? (
            <Text size="sm" c="dimmed">No members{size === null ? ' yet: the cohort has not been computed' : ''}.</Text>
          ) : (
            <Table aria-label="Members" striped>
              <Table.Thead><Table.Tr><Table.Th>User id</Table.Th></Table.Tr></Table.Thead>
              <Table.Tbody>
                {members.map((u) => (
                  <Table.Tr key={u}><Table.Td><Link to={`/users/${encodeURIComponent(u)}`}>{u}</Link></Table.Td></Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
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
