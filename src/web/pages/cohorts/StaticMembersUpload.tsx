import { useState } from 'react';
import { Alert, Button, FileButton, Group, List, Paper, Stack, Text, Textarea, Title } from '@mantine/core';
import { useRemoveMembers, useUploadMembers } from '../../api/cohorts';
import { errorMessage } from '../../api/errors';
import { num } from '../../components/format';

const MAX_LISTED = 20;

/** Adds or removes members of a static cohort: pasted ids (one per line) or a CSV file. */
export function StaticMembersUpload({ cohortId }: { cohortId: string }) {
  const upload = useUploadMembers(cohortId);
  const remove = useRemoveMembers(cohortId);
  const [text, setText] = useState('');
  const ids = () => text.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);

  async function sendFile(file: File | null) {
    if (file) upload.mutate(await file.text());
  }

  const r = upload.data;
  return (
    <Paper withBorder p="md" radius="md">
      <Stack gap="sm">
        <Title order={3} size="h4">Add or remove members</Title>
        <Text size="sm" c="dimmed">
          Paste user ids, one per line, or upload a CSV file (a <code>user_id</code> column, or ids in the first column).
          Ids Kohort has never received an event or identify call for are reported, not added.
        </Text>
        <Textarea label="User ids" autosize minRows={3} maxRows={10} value={text} onChange={(e) => setText(e.currentTarget.value)} />
        <Group>
          <Button size="xs" disabled={!ids().length} loading={upload.isPending}
            onClick={() => upload.mutate(['user_id', ...ids()].join('\n'))}>Add these</Button>
          <Button size="xs" variant="default" color="red" disabled={!ids().length} loading={remove.isPending}
            onClick={() => remove.mutate(ids())}>Remove these</Button>
          <FileButton onChange={(f) => void sendFile(f)} accept=".csv,text/csv,text/plain">
            {(props) => <Button size="xs" variant="default" {...props}>Upload a CSV file</Button>}
          </FileButton>
        </Group>
        {(upload.error || remove.error) && <Alert color="red" role="alert">{errorMessage(upload.error ?? remove.error)}</Alert>}
        {r && (
          <Alert color={r.invalid.length ? 'yellow' : 'green'} role="status" title="Upload done">
            {num(r.added)} added, {num(r.alreadyMember)} already members{r.invalid.length ? `, ${num(r.invalid.length)} line${r.invalid.length === 1 ? '' : 's'} not added:` : '.'}
            {r.invalid.length > 0 && (
              <List size="sm">
                {r.invalid.slice(0, MAX_LISTED).map((i) => <List.Item key={i.line}>line {i.line}: {i.message}</List.Item>)}
                {r.invalid.length > MAX_LISTED && <List.Item>… and {num(r.invalid.length - MAX_LISTED)} more</List.Item>}
              </List>
            )}
          </Alert>
        )}
        {remove.data && <Alert color="green" role="status">{num(remove.data.removed)} removed.</Alert>}
      </Stack>
    </Paper>
  );
}
