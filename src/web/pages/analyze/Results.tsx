import { BarChart, LineChart } from '@mantine/charts';
import { Stack, Table, Text } from '@mantine/core';
import type { FunnelResponse, RetentionResponse, SegmentationResponse } from '../../api/analytics';
import { num } from '../../components/format';
import { utcDate } from '../../components/time-format';
import { percent } from './csv';

const COLORS = ['indigo.6', 'teal.6', 'orange.6', 'grape.6', 'red.6', 'cyan.6', 'lime.7', 'pink.6', 'yellow.7', 'gray.6'];
const series = (labels: string[]) => labels.map((label, i) => ({ name: `s${i}`, label, color: COLORS[i % COLORS.length]! }));
const pct = (v: number | null) => (v === null ? '—' : `${v}%`);
/** Buckets are UTC calendar periods: labelled by their first day, in UTC. */
const bucketLabel = (iso: string) => utcDate(iso);

export function SegmentationResult({ data }: { data: SegmentationResponse }) {
  const rows = data.buckets.map((b, i) => ({ bucket: bucketLabel(b), ...Object.fromEntries(data.series.map((s, j) => [`s${j}`, s.values[i]])) }));
  return (
    <Stack>
      <div role="img" aria-label={`Line chart of ${data.series.length} segments over ${data.buckets.length} buckets`}>
        <LineChart h={280} data={rows} dataKey="bucket" series={series(data.series.map((s) => s.label))} withLegend curveType="linear"
          connectNulls={false} valueFormatter={(v) => num(v)} withDots={rows.length < 60} />
      </div>
      <Table.ScrollContainer minWidth={400}>
        <Table striped aria-label="Segmentation numbers">
          <Table.Thead>
            <Table.Tr><Table.Th>Bucket (UTC)</Table.Th>{data.series.map((s, j) => <Table.Th key={j}>{s.label}</Table.Th>)}</Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {data.buckets.map((b, i) => (
              <Table.Tr key={b}>
                <Table.Td>{bucketLabel(b)}</Table.Td>
                {data.series.map((s, j) => <Table.Td key={j} data-testid={`value-${j}-${i}`}>{num(s.values[i])}</Table.Td>)}
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </Stack>
  );
}

export function FunnelResult({ data }: { data: FunnelResponse }) {
  const steps = data.series[0]?.steps ?? [];
  const bars = steps.map((st, k) => ({ step: `${k + 1}. ${st.event}`, ...Object.fromEntries(data.series.map((s, j) => [`s${j}`, percent(s.steps[k]!.users, s.steps[0]!.users) ?? 0])) }));
  return (
    <Stack>
      <div role="img" aria-label={`Funnel of ${steps.length} steps for ${data.series.length} segments, conversion in percent`}>
        <BarChart h={280} data={bars} dataKey="step" series={series(data.series.map((s) => s.label))} withLegend valueFormatter={(v) => `${v}%`} />
      </div>
      <Table.ScrollContainer minWidth={400}>
        <Table striped aria-label="Funnel numbers">
          <Table.Thead>
            <Table.Tr><Table.Th>Segment</Table.Th>{steps.map((st, k) => <Table.Th key={k}>{`${k + 1}. ${st.event}`}</Table.Th>)}</Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {data.series.map((s, j) => (
              <Table.Tr key={j}>
                <Table.Td>{s.label}</Table.Td>
                {s.steps.map((st, k) => (
                  <Table.Td key={k}>
                    <Text span size="sm" data-testid={`funnel-users-${j}-${k}`}>{num(st.users)}</Text>
                    {k > 0 && <Text span size="xs" c="dimmed" data-testid={`funnel-conversion-${j}-${k}`}> {pct(percent(st.users, s.steps[0]!.users))}</Text>}
                  </Table.Td>
                ))}
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </Stack>
  );
}

export function RetentionResult({ data, period }: { data: RetentionResponse; period: string }) {
  const periods = data.series[0]?.retained.length ?? 0;
  const curve = Array.from({ length: periods }, (_, n) => ({ period: `${period} ${n}`, ...Object.fromEntries(data.series.map((s, j) => [`s${j}`, percent(s.retained[n]!, s.users)])) }));
  return (
    <Stack>
      <div role="img" aria-label={`Retention curve of ${data.series.length} segments over ${periods} periods, in percent`}>
        <LineChart h={260} data={curve} dataKey="period" series={series(data.series.map((s) => s.label))} withLegend curveType="linear" valueFormatter={(v) => `${v}%`} />
      </div>
      <Table.ScrollContainer minWidth={500}>
        <Table striped aria-label="Retention numbers">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Segment</Table.Th><Table.Th>Users</Table.Th>
              {Array.from({ length: periods }, (_, n) => <Table.Th key={n}>{`${period[0]!.toUpperCase()}${period.slice(1)} ${n}`}</Table.Th>)}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {data.series.map((s, j) => (
              <Table.Tr key={j}>
                <Table.Td>{s.label}</Table.Td>
                <Table.Td data-testid={`retention-users-${j}`}>{num(s.users)}</Table.Td>
                {s.retained.map((r, n) => (
                  <Table.Td key={n}>
                    <Text span size="sm" data-testid={`retained-${j}-${n}`}>{num(r)}</Text>
                    <Text span size="xs" c="dimmed"> {pct(percent(r, s.users))}</Text>
                  </Table.Td>
                ))}
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </Stack>
  );
}
