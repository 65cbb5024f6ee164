import { z } from 'zod';
import {
  INGEST_LIMITS,
  REQUIRED_MESSAGE,
  aliasSchema,
  amplitudeEventSchema,
  amplitudeIdentificationSchema,
  batchItemSchema,
  groupSchema,
  identifySchema,
  pageSchema,
  trackSchema,
  type BatchItem,
} from '../schemas/events.js';
import type { EventStore, WriteItem, WriteResult } from '../storage/event-store.js';
import { invalidInput, tooLarge, zodIssues, type FieldIssue } from './errors.js';
import { fromAmplitude, fromIdentification } from './ingest-amplitude.js';
import { fastAmplitudeEvent, fastSegmentItem, jsonBytesBound } from './ingest-fast.js';

export type Clock = () => Date;

const validTime = (v: unknown): number | undefined => {
  if (typeof v !== 'string' && typeof v !== 'number') return undefined;
  const t = new Date(v).getTime();
  return Number.isNaN(t) ? undefined : t;
};

/**
 * Validates and normalizes Segment- and Amplitude-style bodies into store
 * writes. A request is all or nothing: every problem of every event is
 * collected, and one problem rejects the request before anything is stored.
 */
export function createIngestService(store: EventStore, clock: Clock = () => new Date()) {
  function checkSize(raw: unknown, index: number, issues: FieldIssue[]): boolean {
    // Serializing every event only to measure it cost as much as validating it: a cheap upper bound settles most.
    if (jsonBytesBound(raw) <= INGEST_LIMITS.eventBytes) return true;
    let bytes: number;
    try {
      bytes = Buffer.byteLength(JSON.stringify(raw) ?? '');
    } catch {
      bytes = Infinity;
    }
    if (bytes > INGEST_LIMITS.eventBytes) {
      issues.push({ index, field: '(event)', message: `event is ${bytes} bytes; the limit is ${INGEST_LIMITS.eventBytes}` });
      return false;
    }
    return true;
  }

  function checkTime(d: Date, received: Date, index: number, issues: FieldIssue[], field: string): Date {
    if (Number.isNaN(d.getTime())) issues.push({ index, field, message: 'is not a valid time' });
    else if (d.getTime() - received.getTime() > INGEST_LIMITS.futureToleranceMs) {
      issues.push({ index, field, message: 'is more than 1 day in the future' });
    }
    return d;
  }

  /** `received`: the request's receive time, read once per request (a clock read and a Date per event were a measurable part of a batch). */
  function timestamp(value: string | number | undefined, received: Date, index: number, issues: FieldIssue[], field: string): Date {
    if (value === undefined) return received;
    return checkTime(new Date(value), received, index, issues, field);
  }

  /**
   * Segment's clock-skew correction: without `timestamp`, the device's clock
   * error is sentAt - originalTimestamp measured against our receive time.
   */
  function segmentTime(item: BatchItem, received: Date, index: number, issues: FieldIssue[], batchSentAt: unknown): Date {
    if (item.timestamp !== undefined || item.type === 'alias') return timestamp(item.timestamp, received, index, issues, 'timestamp');
    const sentAt = validTime(item.sentAt ?? batchSentAt);
    const original = validTime(item.originalTimestamp);
    if (sentAt === undefined || original === undefined) return received;
    return checkTime(new Date(received.getTime() - (sentAt - original)), received, index, issues, 'originalTimestamp');
  }

  function fromSegment(item: BatchItem, received: Date, index: number, issues: FieldIssue[], batchSentAt?: unknown): WriteItem | undefined {
    const ts = segmentTime(item, received, index, issues, batchSentAt);
    const messageId = item.messageId ?? undefined;
    if (item.type === 'alias') return { kind: 'alias', previousId: item.previousId, userId: item.userId, ts, messageId };
    const externalId = item.userId ?? item.anonymousId;
    if (!externalId) {
      issues.push({ index, field: 'userId', message: 'userId or anonymousId is required' });
      return undefined;
    }
    switch (item.type) {
      case 'track':
        return { kind: 'track', externalId, event: item.event, ts, props: item.properties ?? {}, messageId };
      case 'identify':
        return { kind: 'identify', externalId, traits: item.traits ?? {}, ts, messageId };
      case 'page':
      case 'screen': {
        const props: Record<string, unknown> = { ...(item.properties ?? {}) };
        if (item.name != null) props.name = item.name;
        if (item.category != null) props.category = item.category;
        return { kind: 'track', externalId, event: item.type, ts, props, messageId };
      }
      case 'group':
        return { kind: 'identify', externalId, traits: { group: { id: item.groupId, ...(item.traits ?? {}) } }, ts, messageId };
    }
  }

  /**
   * Validates every raw item with `schema`, then converts; throws on any problem.
   * `fast` may settle a well-formed item without zod (ingest-fast.ts): it returns
   * what the schema would, or undefined to leave the item to the schema.
   */
  function normalize<T>(
    raws: unknown[],
    schema: z.ZodType<T>,
    convert: (v: T, received: Date, i: number, issues: FieldIssue[]) => WriteItem[],
    bodyBytes?: number,
    fast?: (raw: unknown) => T | undefined,
  ): WriteItem[] {
    if (raws.length > INGEST_LIMITS.batchEvents) {
      throw tooLarge(`${raws.length} events in one request; the limit is ${INGEST_LIMITS.batchEvents}`);
    }
    const issues: FieldIssue[] = [];
    const items: WriteItem[] = [];
    let oversize = false;
    const received = clock();
    raws.forEach((raw, index) => {
      // No event can be larger than a body within the event limit: skip measuring each one.
      const small = bodyBytes !== undefined && bodyBytes <= INGEST_LIMITS.eventBytes;
      if (!small && !checkSize(raw, index, issues)) {
        oversize = true;
        return;
      }
      const quick = fast?.(raw);
      if (quick !== undefined) {
        items.push(...convert(quick, received, index, issues));
        return;
      }
      const parsed = schema.safeParse(raw);
      if (!parsed.success) issues.push(...zodIssues(parsed.error.issues, index));
      else items.push(...convert(parsed.data, received, index, issues));
    });
    if (oversize) throw tooLarge('an event is larger than 32 KiB', issues);
    if (issues.length) {
      throw invalidInput(`${new Set(issues.map((i) => i.index)).size} of ${raws.length} events are invalid; nothing was stored`, issues);
    }
    return items;
  }

  const single = (type: BatchItem['type']) => (raw: unknown, received: Date, i: number, issues: FieldIssue[]) => {
    const w = fromSegment({ ...(raw as object), type } as BatchItem, received, i, issues);
    return w ? [w] : [];
  };
  // The single routes take the type from the route (a `type` in the body is ignored, as the schema strips it).
  const fastTrack = (raw: unknown) => fastSegmentItem(raw, 'track') as z.infer<typeof trackSchema> | undefined;
  const fastIdentify = (raw: unknown) => fastSegmentItem(raw, 'identify') as z.infer<typeof identifySchema> | undefined;
  const amplitudeTime = <T extends { time?: number }>(convert: (v: T, i: number, issues: FieldIssue[], ts: Date) => WriteItem[]) =>
    (v: T, received: Date, i: number, issues: FieldIssue[]) => convert(v, i, issues, timestamp(v.time, received, i, issues, 'time'));
  const bodyObject = (body: unknown): Record<string, unknown> => {
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw invalidInput('The body must be a JSON object');
    return body as Record<string, unknown>;
  };

  return {
    track: (body: unknown): Promise<WriteResult> => store.write(normalize([bodyObject(body)], trackSchema, single('track'), undefined, fastTrack)),
    identify: (body: unknown) => store.write(normalize([bodyObject(body)], identifySchema, single('identify'), undefined, fastIdentify)),
    alias: (body: unknown) => store.write(normalize([bodyObject(body)], aliasSchema, single('alias'))),
    page: (body: unknown) => store.write(normalize([bodyObject(body)], pageSchema, single('page'))),
    screen: (body: unknown) => store.write(normalize([bodyObject(body)], pageSchema, single('screen'))),
    group: (body: unknown) => store.write(normalize([bodyObject(body)], groupSchema, single('group'))),
    batch(body: unknown, bodyBytes?: number): Promise<WriteResult> {
      const o = bodyObject(body);
      const b = o.batch;
      if (!Array.isArray(b)) throw invalidInput('batch must be an array of events', [{ field: 'batch', message: 'expected an array' }]);
      // analytics-node puts sentAt on the batch, not on each message.
      return store.write(normalize(b, batchItemSchema, (v, received, i, issues) => {
        const w = fromSegment(v, received, i, issues, o.sentAt);
        return w ? [w] : [];
      }, bodyBytes, fastSegmentItem));
    },
    amplitude(body: unknown, bodyBytes?: number): Promise<WriteResult & { events: number }> {
      const ev = bodyObject(body).events;
      if (ev === undefined) throw invalidInput('Request missing required field', [{ field: 'events', message: REQUIRED_MESSAGE }]);
      if (!Array.isArray(ev)) throw invalidInput('events must be an array', [{ field: 'events', message: 'expected an array' }]);
      const items = normalize(ev, amplitudeEventSchema, amplitudeTime(fromAmplitude), bodyBytes, fastAmplitudeEvent);
      return store.write(items).then((r) => ({ ...r, events: ev.length }));
    },
    /** Amplitude Identify API: `identification` is one object, an array, or either as JSON text (form field). */
    amplitudeIdentify(body: unknown, bodyBytes?: number): Promise<WriteResult & { events: number }> {
      let v = bodyObject(body).identification;
      if (v === undefined) throw invalidInput('Request missing required field', [{ field: 'identification', message: REQUIRED_MESSAGE }]);
      if (typeof v === 'string') {
        try {
          v = JSON.parse(v);
        } catch {
          throw invalidInput('identification is not valid JSON', [{ field: 'identification', message: 'must be a JSON object or array' }]);
        }
      }
      const list = Array.isArray(v) ? v : [v];
      const items = normalize(list, amplitudeIdentificationSchema, amplitudeTime(fromIdentification), bodyBytes);
      return store.write(items).then((r) => ({ ...r, events: list.length }));
    },
  };
}

export type IngestService = ReturnType<typeof createIngestService>;
