import { z } from 'zod';

/** Limits of the ingestion contract (api.md, Ingestion). */
export const INGEST_LIMITS = {
  requestBytes: 1024 * 1024,
  eventBytes: 32 * 1024,
  batchEvents: 2000,
  futureToleranceMs: 24 * 60 * 60 * 1000,
  /** Deeper property objects are refused: nothing real needs them, and they are a cheap attack. */
  maxDepth: 16,
  maxIdLength: 1024,
} as const;

export const PREDEFINED_EVENTS = [
  { name: 'view', description: 'user views a product' },
  { name: 'cart', description: 'user adds a product to the cart' },
  { name: 'purchase', description: 'user purchases a product' },
  { name: 'signup_activity', description: 'user signs up' },
  { name: 'click', description: 'user clicks on a target' },
] as const;

function depthOf(value: unknown): number {
  // Iterative so a hostile body cannot overflow the stack.
  let max = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (d > max) max = d;
    if (d > INGEST_LIMITS.maxDepth) return d;
    if (v && typeof v === 'object') for (const c of Object.values(v)) stack.push([c, d + 1]);
  }
  return max;
}

// Lone UTF-16 surrogates cannot be stored (DuckDB keeps UTF-8 and would turn them into U+FFFD), so an id or
// event name holding one would stop matching itself once written: refuse it at the edge.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const wellFormed = (s: string) => !LONE_SURROGATE.test(s);
const UNICODE_MESSAGE = 'must be valid Unicode text (no lone surrogates)';
const id = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(INGEST_LIMITS.maxIdLength, `must be at most ${INGEST_LIMITS.maxIdLength} characters`)
  .refine(wellFormed, UNICODE_MESSAGE);
const eventName = z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters').refine(wellFormed, UNICODE_MESSAGE);
const idLike = z.union([id, z.number().finite().transform(String)]);
export const propsObject = z
  .record(z.string(), z.unknown())
  .refine((o) => depthOf(o) <= INGEST_LIMITS.maxDepth, `nesting deeper than ${INGEST_LIMITS.maxDepth} levels`);
const isoTimestamp = z.iso.datetime({ offset: true, message: 'must be an ISO-8601 date-time, e.g. 2024-05-01T12:00:00Z' });
/** Message of a required field that is absent (Amplitude answers list these apart from invalid ones). */
export const REQUIRED_MESSAGE = 'is required';
const required = { error: (iss: { input?: unknown }) => (iss.input === undefined ? REQUIRED_MESSAGE : undefined) };

const segmentBase = {
  userId: idLike.optional().nullable(),
  anonymousId: idLike.optional().nullable(),
  timestamp: isoTimestamp.optional(),
  messageId: idLike.optional(),
  context: z.record(z.string(), z.unknown()).optional().nullable(),
  // Used for clock-skew correction when both are valid times; anything else there is ignored, as Segment does.
  sentAt: z.unknown().optional(),
  originalTimestamp: z.unknown().optional(),
  integrations: z.unknown().optional(),
};
const pageName = z.string().max(1000, 'must be at most 1000 characters').refine(wellFormed, UNICODE_MESSAGE).optional().nullable();

export const trackSchema = z.object({
  ...segmentBase,
  event: eventName,
  properties: propsObject.optional().nullable(),
});
export const identifySchema = z.object({ ...segmentBase, traits: propsObject.optional().nullable() });
export const aliasSchema = z.object({
  previousId: idLike,
  userId: idLike,
  timestamp: isoTimestamp.optional(),
  messageId: idLike.optional(),
  context: z.record(z.string(), z.unknown()).optional(),
});

/** Segment page and screen: stored as events `page` / `screen` (api.md). */
export const pageSchema = z.object({ ...segmentBase, name: pageName, category: pageName, properties: propsObject.optional().nullable() });
/** Segment group: sets the trait `group` to `{ id: groupId, ...traits }`. */
export const groupSchema = z.object({ ...segmentBase, groupId: idLike, traits: propsObject.optional().nullable() });

export const SEGMENT_TYPES = ['track', 'identify', 'alias', 'page', 'screen', 'group'] as const;
export const batchItemSchema = z.discriminatedUnion(
  'type',
  [
    trackSchema.extend({ type: z.literal('track') }),
    identifySchema.extend({ type: z.literal('identify') }),
    aliasSchema.extend({ type: z.literal('alias') }),
    pageSchema.extend({ type: z.literal('page') }),
    pageSchema.extend({ type: z.literal('screen') }),
    groupSchema.extend({ type: z.literal('group') }),
  ],
  { error: () => `must be one of ${SEGMENT_TYPES.join(', ')}` },
);

export const amplitudeEventSchema = z.object({
  user_id: idLike.optional().nullable(),
  device_id: idLike.optional().nullable(),
  event_type: z.string(required).trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters').refine(wellFormed, UNICODE_MESSAGE),
  time: z.number().int('must be milliseconds since the epoch').nonnegative().optional(),
  event_properties: propsObject.optional().nullable(),
  user_properties: propsObject.optional().nullable(),
  insert_id: idLike.optional(),
}).passthrough();

export type TrackBody = z.infer<typeof trackSchema>;
export type IdentifyBody = z.infer<typeof identifySchema>;
export type AliasBody = z.infer<typeof aliasSchema>;
export type BatchItem = z.infer<typeof batchItemSchema>;
export type AmplitudeEvent = z.infer<typeof amplitudeEventSchema>;
export type PageBody = z.infer<typeof pageSchema>;
export type GroupBody = z.infer<typeof groupSchema>;

/** One identification of Amplitude's Identify API (`POST /identify`). */
export const amplitudeIdentificationSchema = z.object({
  user_id: idLike.optional().nullable(),
  device_id: idLike.optional().nullable(),
  user_properties: propsObject.optional().nullable(),
  time: z.number().int('must be milliseconds since the epoch').nonnegative().optional(),
  insert_id: idLike.optional(),
}).passthrough();
export type AmplitudeIdentification = z.infer<typeof amplitudeIdentificationSchema>;

/** Query of GET /v1/events/live. */
export const liveQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(50),
  event: z.string().min(1).optional(),
  userId: z.string().min(1).optional(),
});
export type LiveQuery = z.infer<typeof liveQuerySchema>;
