import { Accordion, Badge, Group, Loader, Paper, Text, Title } from '@mantine/core';
import { useState } from 'react';
import { useCohortOptions } from '../../api/cohorts';
import { errorMessage } from '../../api/errors';
import { useExplainSaved } from '../../api/insight';
import type { Cohort } from '../../api/types';
import { ExplainView } from '../../components/ExplainView';
import { Link } from '../../router';

function Reason({ cohort, userId }: { cohort: Cohort; userId: string }) {
  const q = useExplainSaved(cohort.id, userId, true);
  if (q.isPending) return <Loader size="xs" aria-label="Explaining" />;
  if (q.isError) return <Text size="sm" c="red">{errorMessage(q.error)}</Text>;
  return <ExplainView explanation={q.data} rules={cohort.definition?.rules ?? []} match={cohort.definition?.match ?? 'all'} />;
}

/** Every cohort the viewer can see: is this user in it (stored membership), and why (explained on opening). */
export function UserCohorts({ userId, memberOf }: { userId: string; memberOf: { id: string }[] }) {
  const cohorts = useCohortOptions();
  const [open, setOpen] = useState<string[]>([]);
  const inIds = new Set(memberOf.map((c) => c.id));
  const items = cohorts.data?.items ?? [];
  return (
    <Paper withBorder p="md" radius="md">
      <Title order={3} size="h4" mb="sm">In or not in, and why</Title>
      {cohorts.isPending ? <Loader size="xs" /> : items.length === 0 ? (
        <Text size="sm" c="dimmed">No cohorts yet.</Text>
      ) : (
        <Accordion multiple value={open} onChange={setOpen} variant="separated" aria-label="Cohort membership of this user">
          {items.map((c) => (
            <Accordion.Item key={c.id} value={c.id}>
              <Accordion.Control>
                <Group gap="xs">
                  <Badge color={inIds.has(c.id) ? 'teal' : 'gray'} variant="light" w={64}>{inIds.has(c.id) ? 'in' : 'not in'}</Badge>
                  <Text size="sm">{c.name}</Text>
                  <Text size="xs" c="dimmed">— open to see why</Text>
                </Group>
              </Accordion.Control>
              <Accordion.Panel>
                {open.includes(c.id) && <Reason cohort={c} userId={userId} />}
                <Link to={`/cohorts/${c.id}`} size="xs">Open the cohort</Link>
              </Accordion.Panel>
            </Accordion.Item>
          ))}
        </Accordion>
      )}
    </Paper>
  );
}
