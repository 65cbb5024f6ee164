import { z } from 'zod';
import { INGEST_LIMITS, type AmplitudeEvent, type BatchItem } from '../schemas/events.js';

/**
 * The fast path of ingestion: well-formed Segment track and identify events
 * checked by hand, without zod's per-field machinery (at 100k events/s it
 * cost more than parsing the JSON). It answers only when certain: either the
 * exact value zod's schema would produce, or `undefined`, and then the event
 * goes through zod, which decides and words any error. So a bad request gets
 * byte for byte the answer it always got; `ingest-fast.test.ts` compares both
 * paths on random events.
 */

// The same pattern zod's `z.iso.datetime({ offset: true })` (schemas/events.ts) tests.
const ISO_DATETIME = z.regexes.datetime({ offset: true, local: false, precision: null });

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** True when `s` has no UTF-16 surrogate at all (the common case); else the caller lets zod judge. */
function noSurrogates(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdfff) return false;
  }
  return true;
}

const FAIL = Symbol('fail');
type Fail = typeof FAIL;

/** A trimmed string of 1..max characters without surrogates, as zod's `id` / `eventName` yield it. */
function text(v: unknown, max: number): string | Fail {
  if (typeof v !== 'string') return FAIL;
  const t = v.trim();
  return t.length >= 1 && t.length <= max && noSurrogates(t) ? t : FAIL;
}

/** zod's `idLike`: an id string, or a finite number as its string. */
function idLike(v: unknown): string | Fail {
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : FAIL;
  return text(v, INGEST_LIMITS.maxIdLength);
}

/** `idLike.optional().nullable()`: undefined and null stay as they are. */
const optionalId = (v: unknown): string | null | undefined | Fail => (v === undefined || v === null ? v : idLike(v));

/** Deepest level under `v` (as `depthOf` counts), stopping early past the limit; -1 for an own `__proto__` key. */
function depth(v: unknown, d: number): number {
  if (d > INGEST_LIMITS.maxDepth || typeof v !== 'object' || v === null) return d;
  let max = d;
  if (Array.isArray(v)) {
    for (const c of v) {
      const m = depth(c, d + 1);
      if (m < 0 || m > INGEST_LIMITS.maxDepth) return m;
      if (m > max) max = m;
    }
    return max;
  }
  if (Object.hasOwn(v, '__proto__')) return -1;
  for (const k in v) {
    const m = depth((v as Record<string, unknown>)[k], d + 1);
    if (m < 0 || m > INGEST_LIMITS.maxDepth) return m;
    if (m > max) max = m;
  }
  return max;
}

/** `propsObject.optional().nullable()`: a plain object no deeper than the limit (records keep keys and values). */
function props(v: unknown): Record<string, unknown> | null | undefined | Fail {
  if (v === undefined || v === null) return v;
  if (!isObject(v)) return FAIL;
  const d = depth(v, 0);
  return d >= 0 && d <= INGEST_LIMITS.maxDepth ? v : FAIL;
}

/** The fields every Segment call shares; FAIL when zod might disagree. */
function base(raw: Record<string, unknown>) {
  const userId = optionalId(raw.userId);
  const anonymousId = optionalId(raw.anonymousId);
  const ts = raw.timestamp;
  if (userId === FAIL || anonymousId === FAIL) return FAIL;
  if (ts !== undefined && (typeof ts !== 'string' || !ISO_DATETIME.test(ts))) return FAIL;
  const messageId = raw.messageId === undefined ? undefined : idLike(raw.messageId);
  if (messageId === FAIL) return FAIL;
  const context = raw.context;
  if (context !== undefined && context !== null && (!isObject(context) || Object.hasOwn(context, '__proto__'))) return FAIL;
  return {
    userId,
    anonymousId,
    timestamp: ts as string | undefined,
    messageId,
    context: context as Record<string, unknown> | null | undefined,
    sentAt: raw.sentAt,
    originalTimestamp: raw.originalTimestamp,
    integrations: raw.integrations,
  };
}

/** A Segment track or identify item (`type` as given, or as the route implies), or undefined for zod to judge. */
export function fastSegmentItem(raw: unknown, type: unknown = isObject(raw) ? raw.type : undefined): BatchItem | undefined {
  if (!isObject(raw)) return undefined;
  if (type === 'track') {
    const b = base(raw);
    const event = text(raw.event, 200);
    const properties = props(raw.properties);
    if (b === FAIL || event === FAIL || properties === FAIL) return undefined;
    return { type, ...b, event, properties } as BatchItem;
  }
  if (type === 'identify') {
    const b = base(raw);
    const traits = props(raw.traits);
    if (b === FAIL || traits === FAIL) return undefined;
    return { type, ...b, traits } as BatchItem;
  }
  return undefined;
}

/** An Amplitude HTTP API event (the schema passes unknown keys through), or undefined for zod to judge. */
export function fastAmplitudeEvent(raw: unknown): AmplitudeEvent | undefined {
  if (!isObject(raw) || Object.hasOwn(raw, '__proto__')) return undefined;
  const user_id = optionalId(raw.user_id);
  const device_id = optionalId(raw.device_id);
  const event_type = text(raw.event_type, 200);
  const time = raw.time;
  if (user_id === FAIL || device_id === FAIL || event_type === FAIL) return undefined;
  if (time !== undefined && !(typeof time === 'number' && Number.isSafeInteger(time) && time >= 0)) return undefined;
  const event_properties = props(raw.event_properties);
  const user_properties = props(raw.user_properties);
  const insert_id = raw.insert_id === undefined ? undefined : idLike(raw.insert_id);
  if (event_properties === FAIL || user_properties === FAIL || insert_id === FAIL) return undefined;
  return { ...raw, user_id, device_id, event_type, time, event_properties, user_properties, insert_id } as AmplitudeEvent;
}

/**
 * An upper bound of `Buffer.byteLength(JSON.stringify(v))` for a parsed JSON
 * value, without building the text: each UTF-16 unit of a string becomes at
 * most 6 bytes (`\u001f`), a number at most 32 characters. Infinity when the
 * value nests too deeply to walk here (the caller then measures exactly).
 */
export function jsonBytesBound(v: unknown, d = 0): number {
  if (v === null) return 4;
  switch (typeof v) {
    case 'string':
      return 2 + 6 * v.length;
    case 'number':
      return 32;
    case 'boolean':
      return 5;
    case 'object': {
      if (d > 64) return Infinity;
      let n = 2;
      if (Array.isArray(v)) {
        for (const c of v) n += 1 + jsonBytesBound(c, d + 1);
        return n;
      }
      for (const k in v) n += 4 + 6 * k.length + jsonBytesBound((v as Record<string, unknown>)[k], d + 1);
      return n;
    }
    default:
      return Infinity;
  }
}
