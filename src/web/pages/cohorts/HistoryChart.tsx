import { BarChart, LineChart } from '@mantine/charts';
import { Paper, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { useCohortHistory } from '../../api/cohorts';
import { num } from '../../components/format';
import { axisTime, timeZoneLabel } from '../../components/time-format';
import { QueryState } from '../../components/QueryState';

export function HistoryChart({ cohortId }: { cohortId: string }) {
  const q = useCohortHistory(cohortId);
  // The API answers newest first; charts read left to right in time.
  const points = [...(q.data ?? [])].reverse();
  const span = points.length > 1 ? Date.parse(points.at(-1)!.computedAt) - Date.parse(points[0]!.computedAt) : 0;
  const axis = `Computed at (${timeZoneLabel()})`;
  const data = points.map((h) => ({
    at: axisTime(h.computedAt, span),
    size: h.size,
    entered: h.entered,
    exited: h.exited,
  }));
  return (
    <Paper withBorder p="md" radius="md">
      <Stack gap="sm">
        <Title order={3} size="h4">Size over time</Title>
        <QueryState query={q} what="history">
          {data.length === 0 ? (
            <Text size="sm" c="dimmed">Not computed yet: the history starts with the first computation.</Text>
          ) : (
            <>
              {data.length === 1 && (
                <Text size="sm" c="dimmed">
                  One computation so far ({num(points[0]!.size)} users, {points[0]!.entered} entered): the charts fill in as it is recomputed.
                </Text>
              )}
              <SimpleGrid cols={{ base: 1, md: 2 }}>
                <Stack gap={4} role="img" aria-label={`Cohort size over ${data.length} computations, latest ${num(data.at(-1)?.size)}`}>
                  <Text size="sm" fw={500}>Members after each computation</Text>
                  <LineChart h={220} data={data} dataKey="at" series={[{ name: 'size', label: 'Members', color: 'indigo.6' }]}
                    curveType="linear" valueFormatter={(v) => num(v)} withDots={data.length < 40}
                    xAxisLabel={axis} yAxisLabel="Users" />
                </Stack>
                <Stack gap={4} role="img" aria-label="Users entering and leaving at each computation">
                  <Text size="sm" fw={500}>Entered and left at each computation</Text>
                  <BarChart h={220} data={data} dataKey="at" withLegend maxBarWidth={40}
                    series={[{ name: 'entered', label: 'Entered', color: 'teal.6' }, { name: 'exited', label: 'Left', color: 'red.6' }]}
                    valueFormatter={(v) => num(v)} xAxisLabel={axis} yAxisLabel="Users" />
                </Stack>
              </SimpleGrid>
            </>
          )}
        </QueryState>
      </Stack>
    </Paper>
  );
}
