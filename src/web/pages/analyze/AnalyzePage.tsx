import { useMemo, useState } from 'react';
import { Alert, Anchor, Button, Code, Collapse, Group, Paper, SegmentedControl, Stack, Text, Title } from '@mantine/core';
import { useChart, type ChartKind, type ChartResult } from '../../api/analytics';
import { errorMessage } from '../../api/errors';
import { useEventCatalog } from '../../builder/useEventCatalog';
import { navigate, useLocation } from '../../router';
import { FunnelFields, RangeFields, RetentionFields, SegmentationFields } from './ChartControls';
import { Time } from '../../components/Time';
import { chartCsv } from './csv';
import { FunnelResult, RetentionResult, SegmentationResult } from './Results';
import { SegmentPicker } from './SegmentPicker';
import { decodeState, encodeState, requestOf, type AnalyzeState } from './state';

/**
 * Analyze: segmentation, funnel and retention charts segmented by cohort.
 * The URL holds the chart that runs (shareable); edits stay a draft until Run.
 */
export function AnalyzePage() {
  const { search } = useLocation();
  const committed = decodeState(search);
  const key = search.get('s') ?? '';
  return <AnalyzeForm key={key} committed={committed} />;
}

function AnalyzeForm({ committed }: { committed: AnalyzeState }) {
  const [draft, setDraft] = useState<AnalyzeState>(committed);
  const [showJson, setShowJson] = useState(false);
  const catalog = useEventCatalog();
  const patch = (p: Partial<AnalyzeState>) => setDraft((d) => ({ ...d, ...p }));
  const body = requestOf(committed);
  const q = useChart(committed.chart, body);
  const draftBody = requestOf(draft);
  const result = q.data && q.data.chart === committed.chart ? q.data : undefined;

  return (
    <Stack>
      <Title order={2}>Analyze</Title>
      <Paper withBorder p="md" radius="md">
        <Stack>
          <SegmentedControl
            aria-label="Chart type"
            data={[{ value: 'segmentation', label: 'Segmentation' }, { value: 'funnel', label: 'Funnel' }, { value: 'retention', label: 'Retention' }]}
            value={draft.chart}
            onChange={(v) => patch({ chart: v as ChartKind })}
          />
          {draft.chart === 'segmentation' && <SegmentationFields s={draft} patch={patch} catalog={catalog} />}
          {draft.chart === 'funnel' && <FunnelFields s={draft} patch={patch} catalog={catalog} />}
          {draft.chart === 'retention' && <RetentionFields s={draft} patch={patch} catalog={catalog} />}
          <RangeFields s={draft} patch={patch} />
          <SegmentPicker value={draft.segments} onChange={(segments) => patch({ segments })} />
          <Group>
            <Button onClick={() => navigate(`/analyze${encodeState(draft)}`)} disabled={!draftBody} loading={q.isFetching}>Run</Button>
            {!draftBody && <Text size="sm" c="dimmed">Choose the events to run the chart.</Text>}
          </Group>
        </Stack>
      </Paper>
      {q.isError && <Alert color="red" role="alert" title="The chart could not run">{errorMessage(q.error)}</Alert>}
      {result && body && (
        <Paper withBorder p="md" radius="md" aria-label="Chart result" component="section">
          <Stack>
            <Group justify="space-between">
              <Text size="sm" c="dimmed" data-testid="as-of">As of <Time iso={result.data.asOf} absolute /></Text>
              <Group gap="xs">
                <Button size="xs" variant="default" onClick={() => setShowJson((v) => !v)}>{showJson ? 'Hide request JSON' : 'Show request JSON'}</Button>
                <CsvLink result={result} />
              </Group>
            </Group>
            <Collapse expanded={showJson}>
              <Code block data-testid="request-json">{JSON.stringify(body, null, 2)}</Code>
            </Collapse>
            {result.chart === 'segmentation' && <SegmentationResult data={result.data} />}
            {result.chart === 'funnel' && <FunnelResult data={result.data} />}
            {result.chart === 'retention' && <RetentionResult data={result.data} period={committed.period} />}
          </Stack>
        </Paper>
      )}
    </Stack>
  );
}

/**
 * A download of the numbers as CSV. A data URL rather than a blob URL: nothing
 * to release, so a refetch can never revoke a download under way.
 */
function CsvLink({ result }: { result: ChartResult }) {
  const href = useMemo(() => `data:text/csv;charset=utf-8,${encodeURIComponent(chartCsv(result))}`, [result]);
  return (
    <Anchor href={href} download={`kohort-${result.chart}.csv`} size="sm">Download CSV</Anchor>
  );
}
