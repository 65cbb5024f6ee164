/**
 * Analysis by cohort (analytics.md): validates a chart request, resolves its
 * segments against the saved cohorts, compiles and runs it, and labels the
 * series. Who may name which cohort is checked by the routes (access).
 */
import type { AnalyticsDialect } from '../analytics/analytics-dialect.js';
import { compileFunnel, compileRetention, compileSegmentation, type CompiledChart } from '../analytics/analytics-compiler.js';
import { bucketStarts } from '../analytics/time-buckets.js';
import { CohortCycleError, referencedCohortIds, UnknownCohortError, type CohortResolver } from '../cohort/cohort-references.js';
import type { MaterializedProperty } from '../cohort/dialect.js';
import {
  funnelRequestSchema,
  MAX_BUCKETS,
  retentionRequestSchema,
  segmentationRequestSchema,
  type FunnelRequest,
  type FunnelResponse,
  type RetentionRequest,
  type RetentionResponse,
  type Segment,
  type SegmentationRequest,
  type SegmentationResponse,
} from '../schemas/analytics.js';
import type { Cohort } from '../schemas/cohort.js';
import { parseInstant, type Definition } from '../schemas/definition.js';
import type { AnalyticsReads } from '../storage/analytics-reads.js';
import { invalidInput, notFound, parseInput, ServiceError } from './errors.js';

export interface AnalyticsDeps {
  reads: AnalyticsReads;
  cohorts: { all(): Promise<Cohort[]> };
  /** Event property paths the store keeps in typed columns. */
  materialized?: () => readonly MaterializedProperty[];
  /** The chart dialect of the events engine `reads` runs on (default: DuckDB's). */
  dialect?: AnalyticsDialect;
  now?: () => Date;
}

type Request = SegmentationRequest | FunnelRequest | RetentionRequest;

export const ALL_USERS_LABEL = 'All users';
export const UNSAVED_LABEL = 'Unsaved definition';

/** Cohort ids a request names: as segments, and inside unsaved definitions. */
export function namedCohorts(segments: Segment[]): { segments: string[]; inDefinitions: string[] } {
  return {
    segments: segments.flatMap((s) => ('cohortId' in s ? [s.cohortId] : [])),
    inDefinitions: segments.flatMap((s) => ('definition' in s ? referencedCohortIds(s.definition) : [])),
  };
}

export function createAnalyticsService(deps: AnalyticsDeps) {
  const now = deps.now ?? (() => new Date());

  /** Segments checked against the saved cohorts; the resolver and labels that go with them. */
  async function prepare(req: Request) {
    const byId = new Map((await deps.cohorts.all()).map((c) => [c.id, c]));
    const named = namedCohorts(req.segments);
    for (const id of named.segments) if (!byId.has(id)) throw notFound('Cohort', id);
    const unknown = [...new Set(named.inDefinitions)].filter((id) => !byId.has(id));
    if (unknown.length) {
      throw new ServiceError(400, 'invalid_definition', `A segment's definition refers to cohort ${unknown.map((u) => `"${u}"`).join(', ')}, which does not exist`,
        unknown.map((u) => ({ path: 'cohortId', message: `cohort "${u}" does not exist` })));
    }
    const resolveCohort: CohortResolver = (id) => {
      const c = byId.get(id);
      if (!c) return undefined;
      return c.kind === 'static' ? { kind: 'static' } : { kind: 'dynamic', definition: c.definition as Definition };
    };
    const label = (s: Segment): string => {
      if ('all' in s) return ALL_USERS_LABEL;
      if ('definition' in s) return s.name ?? UNSAVED_LABEL;
      const name = byId.get(s.cohortId)!.name;
      return s.negate ? `Not in ${name}` : name;
    };
    const asOf = req.asOf ? parseInstant(req.asOf)! : now();
    return { ctx: { asOf, resolveCohort, materialized: deps.materialized?.() ?? [] }, label, asOf };
  }

  /** `signal`: the query limiter's; aborting it stops the engine's query. */
  async function run<T>(compile: () => CompiledChart<T>, signal?: AbortSignal): Promise<T> {
    let q: CompiledChart<T>;
    try {
      q = compile();
    } catch (err) {
      // A saved definition may name a cohort deleted since, or (edited meanwhile) close a cycle.
      if (err instanceof UnknownCohortError || err instanceof CohortCycleError) throw new ServiceError(400, 'invalid_definition', err.message);
      throw err;
    }
    return q.decode(await deps.reads.rows(q, signal));
  }

  return {
    parseSegmentation(body: unknown): SegmentationRequest {
      const req = parseInput(segmentationRequestSchema, body, 'segmentation request') as SegmentationRequest;
      const n = bucketStarts(parseInstant(req.from)!.getTime(), parseInstant(req.to)!.getTime(), req.interval, MAX_BUCKETS).length;
      if (n > MAX_BUCKETS) {
        throw invalidInput(`The range holds more than ${MAX_BUCKETS} ${req.interval}s; pick a longer interval or a shorter range`, [
          { field: 'interval', message: `at most ${MAX_BUCKETS} buckets` },
        ]);
      }
      return req;
    },
    parseFunnel: (body: unknown) => parseInput(funnelRequestSchema, body, 'funnel request') as FunnelRequest,
    parseRetention: (body: unknown) => parseInput(retentionRequestSchema, body, 'retention request') as RetentionRequest,

    async segmentation(req: SegmentationRequest, opts: { signal?: AbortSignal } = {}): Promise<SegmentationResponse> {
      const { ctx, label, asOf } = await prepare(req);
      const r = await run(() => compileSegmentation(req, ctx, deps.dialect), opts.signal);
      return {
        asOf: asOf.toISOString(),
        buckets: r.buckets.map((b) => new Date(b).toISOString()),
        series: req.segments.map((segment, i) => ({ segment, label: label(segment), values: r.values[i] })),
      };
    },

    async funnel(req: FunnelRequest, opts: { signal?: AbortSignal } = {}): Promise<FunnelResponse> {
      const { ctx, label, asOf } = await prepare(req);
      const r = await run(() => compileFunnel(req, ctx, deps.dialect), opts.signal);
      return {
        asOf: asOf.toISOString(),
        series: req.segments.map((segment, i) => ({ segment, label: label(segment), steps: req.steps.map((s, k) => ({ event: s.event, users: r[i][k] })) })),
      };
    },

    async retention(req: RetentionRequest, opts: { signal?: AbortSignal } = {}): Promise<RetentionResponse> {
      const { ctx, label, asOf } = await prepare(req);
      const r = await run(() => compileRetention(req, ctx, deps.dialect), opts.signal);
      return {
        asOf: asOf.toISOString(),
        series: req.segments.map((segment, i) => ({ segment, label: label(segment), users: r[i].users, retained: r[i].retained })),
      };
    },
  };
}

export type AnalyticsService = ReturnType<typeof createAnalyticsService>;
