/**
 * Analysis by cohort: the shared request schemas and answer types
 * (src/schemas/analytics.ts), and the query that runs a chart.
 */
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useApi } from '../auth/session';
import type { FunnelResponse, RetentionResponse, SegmentationResponse } from '../../schemas/analytics';

export type {
  EventRef,
  FunnelRequest,
  FunnelResponse,
  Interval,
  Measure,
  Period,
  RetentionRequest,
  RetentionResponse,
  Segment,
  SegmentationRequest,
  SegmentationResponse,
} from '../../schemas/analytics';
export { MAX_SEGMENTS, MAX_FUNNEL_STEPS, MAX_RETENTION_PERIODS } from '../../schemas/analytics';

export type ChartKind = 'segmentation' | 'funnel' | 'retention';
export type ChartResult =
  | { chart: 'segmentation'; data: SegmentationResponse }
  | { chart: 'funnel'; data: FunnelResponse }
  | { chart: 'retention'; data: RetentionResponse };

/** Runs `body` as a `chart` request; nothing runs while `body` is null. */
export function useChart(chart: ChartKind, body: object | null) {
  const api = useApi();
  return useQuery({
    queryKey: ['analytics', chart, body],
    queryFn: async (): Promise<ChartResult> => ({ chart, data: await api.post(`/v1/analytics/${chart}`, body) }) as ChartResult,
    enabled: body !== null,
    placeholderData: keepPreviousData,
    retry: false,
    staleTime: 30_000,
  });
}
