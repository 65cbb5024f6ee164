/**
 * Zod schemas of the analysis-by-cohort requests (segmentation, funnel,
 * retention) and the shapes of their answers. Shared by the server and the
 * web app's Analyze page.
 *
 * Objects are strict, like definitions: an ignored field would silently
 * change the question asked.
 */
import { z } from 'zod';
import { definitionSchema, durationSchema, parseInstant, stepSchema, type Definition, type Duration, type Step } from './definition.js';

export const MAX_SEGMENTS = 10;
export const MAX_FUNNEL_STEPS = 10;
export const MAX_RETENTION_PERIODS = 60;
/** Keeps a day-by-day chart over years from building a result nobody can draw. */
export const MAX_BUCKETS = 2_000;

const INSTANT_HINT = 'a date like 2024-03-01 or a date-time with offset like 2024-03-01T10:00:00Z';
const instant = z
  .string({ error: `needs ${INSTANT_HINT}` })
  .refine((s) => parseInstant(s) !== null, { message: `is not ${INSTANT_HINT}` });

export const intervalSchema = z.enum(['day', 'week', 'month'], { error: 'interval must be one of day, week, month' });
export const periodSchema = z.enum(['day', 'week'], { error: 'period must be "day" or "week"' });

/** An event and the filters its rows must pass (the same shape as a sequence step). */
export const eventRefSchema = stepSchema;

const segmentName = z.string().trim().min(1, 'name must not be empty').max(200, 'name must be at most 200 characters');
const allSegment = z.strictObject({ all: z.literal(true, { error: 'all must be true' }) });
const cohortSegment = z.strictObject({
  cohortId: z.string({ error: 'cohortId needs a cohort id' }).min(1, 'cohortId needs a cohort id').max(100, 'cohortId is at most 100 characters'),
  negate: z.boolean({ error: 'negate must be true or false' }).optional(),
});
const definitionSegment = z.strictObject({ definition: definitionSchema, name: segmentName.optional() });

/**
 * One of the three segment forms, picked by its key so a mistake is reported
 * against the form meant (a union would only say "invalid input").
 */
export const segmentSchema = z.unknown().transform((v, ctx): Segment => {
  const o = v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  const schema = !o ? undefined : 'definition' in o ? definitionSegment : 'cohortId' in o ? cohortSegment : 'all' in o ? allSegment : undefined;
  if (!schema) {
    ctx.addIssue({ code: 'custom', message: 'a segment is { "all": true }, { "cohortId": "…", "negate"?: true } or { "definition": {…}, "name"?: "…" }' });
    return z.NEVER;
  }
  const r = (schema as z.ZodType<Segment>).safeParse(o);
  if (!r.success) {
    for (const iss of r.error.issues) ctx.addIssue({ code: 'custom', message: iss.message, path: iss.path as (string | number)[] });
    return z.NEVER;
  }
  return r.data;
});

const segmentsSchema = z
  .array(segmentSchema, { error: 'segments needs a list of segments' })
  .min(1, 'segments needs at least 1 segment (leave it out for all users)')
  .max(MAX_SEGMENTS, `at most ${MAX_SEGMENTS} segments`)
  .default([{ all: true }]);

const common = { from: instant, to: instant, segments: segmentsSchema, asOf: instant.optional() };

function rangeCheck(r: { from: string; to: string }, ctx: z.RefinementCtx) {
  const from = parseInstant(r.from);
  const to = parseInstant(r.to);
  if (from && to && from.getTime() >= to.getTime()) ctx.addIssue({ code: 'custom', message: 'from must be before to (the range is from <= ts < to)', path: ['to'] });
}

const propertyPath = z
  .string({ error: 'property needs a property name' })
  .min(1, 'property needs a property name')
  .refine((p) => p.split('.').every((s) => s.length > 0), 'property path has an empty segment');

export const measureSchema = z.union(
  [
    z.enum(['uniques', 'totals']),
    z.strictObject({ fn: z.enum(['sum', 'avg', 'min', 'max'], { error: 'fn must be one of sum, avg, min, max' }), property: propertyPath }),
  ],
  { error: 'measure must be "uniques", "totals" or { "fn": "sum"|"avg"|"min"|"max", "property": "…" }' },
);

export const segmentationRequestSchema = z
  .strictObject({ event: eventRefSchema, measure: measureSchema, interval: intervalSchema, ...common })
  .superRefine(rangeCheck);

export const funnelRequestSchema = z
  .strictObject({
    steps: z
      .array(eventRefSchema, { error: 'steps needs a list of events' })
      .min(2, 'a funnel needs at least 2 steps')
      .max(MAX_FUNNEL_STEPS, `a funnel has at most ${MAX_FUNNEL_STEPS} steps`),
    conversionWindow: durationSchema,
    ...common,
  })
  .superRefine(rangeCheck);

export const retentionRequestSchema = z
  .strictObject({
    start: eventRefSchema,
    return: eventRefSchema,
    period: periodSchema,
    periods: z
      .number({ error: 'periods needs a whole number' })
      .int('periods needs a whole number')
      .min(1, 'periods must be at least 1')
      .max(MAX_RETENTION_PERIODS, `periods must be at most ${MAX_RETENTION_PERIODS}`),
    ...common,
  })
  .superRefine(rangeCheck);

// ---------------------------------------------------------------- types

export type Interval = z.infer<typeof intervalSchema>;
export type Period = z.infer<typeof periodSchema>;
export type EventRef = Step;
export type Segment = { all: true } | { cohortId: string; negate?: boolean } | { definition: Definition; name?: string };
export type Measure = 'uniques' | 'totals' | { fn: 'sum' | 'avg' | 'min' | 'max'; property: string };

interface Common {
  from: string;
  to: string;
  segments: Segment[];
  asOf?: string;
}
export interface SegmentationRequest extends Common {
  event: EventRef;
  measure: Measure;
  interval: Interval;
}
export interface FunnelRequest extends Common {
  steps: EventRef[];
  conversionWindow: Duration;
}
export interface RetentionRequest extends Common {
  start: EventRef;
  return: EventRef;
  period: Period;
  periods: number;
}

export interface SeriesHead {
  segment: Segment;
  label: string;
}
export interface SegmentationResponse {
  asOf: string;
  buckets: string[];
  series: (SeriesHead & { values: (number | null)[] })[];
}
export interface FunnelResponse {
  asOf: string;
  series: (SeriesHead & { steps: { event: string; users: number }[] })[];
}
export interface RetentionResponse {
  asOf: string;
  series: (SeriesHead & { users: number; retained: number[] })[];
}
