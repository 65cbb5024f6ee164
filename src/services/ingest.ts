import { z } from 'zod';
import {
  INGEST_LIMITS,
  aliasSchema,
  amplitudeEventSchema,
  batchItemSchema,
  identifySchema,
  trackSchema,
  type AmplitudeEvent,
  type BatchItem,
} from '../schemas/events.js';
import type { EventStore, WriteItem, WriteResult } from '../storage/event-store.js';
import { invalidInput, tooLarge, zodIssues, type FieldIssue } from './errors.js';

export type Clock = () => Date;

/**
 * Validates and normalizes Segment- and Amplitude-style bodies into store
 * writes. A request is all or nothing: every problem of every event is
 * collected, and one problem rejects the request before anything is stored.
 */
export function createIngestService(store: EventStore, now: Clock = () => new Date()) {
  function checkSize(raw: unknown, index: number, issues: FieldIssue[]): boolean {
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

  function timestamp(value: string | number | undefined, index: number, issues: FieldIssue[], field: string): Date {
    const received = now();
    if (value === undefined) return received;
    const d = new Date(value);
    if (Number.isNaN(d.getTime())) issues.push({ index, field, message: 'is not a valid time' });
    else if (d.getTime() - received.getTime() > INGEST_LIMITS.futureToleranceMs) {
      issues.push({ index, field, message: 'is more than 1 day in the future' });
    }
    return d;
  }

  function fromSegment(item: BatchItem, index: number, issues: FieldIssue[]): WriteItem | undefined {
    const ts = timestamp(item.timestamp, index, issues, 'timestamp');
    const messageId = item.messageId ?? undefined;
    if (item.type === 'alias') return { kind: 'alias', previousId: item.previousId, userId: item.userId, ts, messageId };
    const externalId = item.userId ?? item.anonymousId;
    if (!externalId) {
      issues.push({ index, field: 'userId', message: 'userId or anonymousId is required' });
      return undefined;
    }
    if (item.type === 'track') return { kind: 'track', externalId, event: item.event, ts, props: item.properties ?? {}, messageId };
    return { kind: 'identify', externalId, traits: item.traits ?? {}, ts, messageId };
  }

  function fromAmplitude(e: AmplitudeEvent, index: number, issues: FieldIssue[]): WriteItem[] {
    const externalId = e.user_id ?? e.device_id;
    if (!externalId) {
      issues.push({ index, field: 'user_id', message: 'user_id or device_id is required' });
      return [];
    }
    const ts = timestamp(e.time, index, issues, 'time');
    const messageId = e.insert_id ?? undefined;
    const out: WriteItem[] = [{ kind: 'track', externalId, event: e.event_type, ts, props: e.event_properties ?? {}, messageId }];
    const up = e.user_properties;
    if (up && Object.keys(up).length) {
      // Amplitude's identify operations: $set / $setOnce objects, or plain keys meaning $set.
      const set = { ...(Object.fromEntries(Object.entries(up).filter(([k]) => !k.startsWith('$'))) as Record<string, unknown>) };
      if (up.$set !== undefined) {
        if (up.$set && typeof up.$set === 'object' && !Array.isArray(up.$set)) Object.assign(set, up.$set);
        else issues.push({ index, field: 'user_properties.$set', message: 'must be an object of properties' });
      }
      if (Object.keys(set).length) out.push({ kind: 'identify', externalId, traits: set, ts });
    }
    return out;
  }

  /** Validates every raw item with `schema`, then converts; throws on any problem. */
  function normalize<T>(
    raws: unknown[],
    schema: z.ZodType<T>,
    convert: (v: T, i: number, issues: FieldIssue[]) => WriteItem[],
    bodyBytes?: number,
  ): WriteItem[] {
    if (raws.length > INGEST_LIMITS.batchEvents) {
      throw tooLarge(`${raws.length} events in one request; the limit is ${INGEST_LIMITS.batchEvents}`);
    }
    const issues: FieldIssue[] = [];
    const items: WriteItem[] = [];
    let oversize = false;
    raws.forEach((raw, index) => {
      // No event can be larger than a body within the event limit: skip measuring each one.
      const small = bodyBytes !== undefined && bodyBytes <= INGEST_LIMITS.eventBytes;
      if (!small && !checkSize(raw, index, issues)) {
        oversize = true;
        return;
      }
      const parsed = schema.safeParse(raw);
      if (!parsed.success) issues.push(...zodIssues(parsed.error.issues, index));
      else items.push(...convert(parsed.data, index, issues));
    });
    if (oversize) throw tooLarge('an event is larger than 32 KiB', issues);
    if (issues.length) {
      throw invalidInput(`${new Set(issues.map((i) => i.index)).size} of ${raws.length} events are invalid; nothing was stored`, issues);
    }
    return items;
  }

  const single = (type: BatchItem['type']) => (raw: unknown, i: number, issues: FieldIssue[]) => {
    const w = fromSegment({ ...(raw as object), type } as BatchItem, i, issues);
    return w ? [w] : [];
  };
  const bodyObject = (body: unknown): Record<string, unknown> => {
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw invalidInput('The body must be a JSON object');
    return body as Record<string, unknown>;
  };

  return {
    track: (body: unknown): Promise<WriteResult> => store.write(normalize([bodyObject(body)], trackSchema, single('track'))),
    identify: (body: unknown) => store.write(normalize([bodyObject(body)], identifySchema, single('identify'))),
    alias: (body: unknown) => store.write(normalize([bodyObject(body)], aliasSchema, single('alias'))),
    batch(body: unknown, bodyBytes?: number): Promise<WriteResult> {
      const b = bodyObject(body).batch;
      if (!Array.isArray(b)) throw invalidInput('batch must be an array of events', [{ field: 'batch', message: 'expected an array' }]);
      return store.write(normalize(b, batchItemSchema, (v, i, issues) => {
        const w = fromSegment(v, i, issues);
        return w ? [w] : [];
      }, bodyBytes));
    },
    amplitude(body: unknown, bodyBytes?: number): Promise<WriteResult & { events: number }> {
      const ev = bodyObject(body).events;
      if (!Array.isArray(ev)) throw invalidInput('events must be an array', [{ field: 'events', message: 'expected an array' }]);
      const items = normalize(ev, amplitudeEventSchema, fromAmplitude, bodyBytes);
      return store.write(items).then((r) => ({ ...r, events: ev.length }));
    },
  };
}

export type IngestService = ReturnType<typeof createIngestService>;
