import type { AmplitudeEvent, AmplitudeIdentification } from '../schemas/events.js';
import type { WriteItem } from '../storage/event-store.js';
import { KEY_OPS, type KeyOp, type TraitOp } from '../storage/trait-ops.js';
import type { FieldIssue } from './errors.js';

const KNOWN_OPS = new Set<string>([...KEY_OPS, '$clearAll']);
/** What the Amplitude SDK's `identify()` sends: it changes traits and is not an event of its own. */
export const IDENTIFY_EVENT = '$identify';
export const ID_REQUIRED_MESSAGE = 'user_id or device_id is required';

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/**
 * Amplitude's `user_properties`: identify operations (`$set`, `$setOnce`,
 * `$add`, ...), each an object of property -> argument, and plain keys, which
 * mean `$set`. Problems are pushed to `issues` (field `user_properties.<op>`).
 */
export function identifyOps(up: Record<string, unknown>, index: number, issues: FieldIssue[]): TraitOp[] {
  const ops: TraitOp[] = [];
  for (const [name, arg] of Object.entries(up)) {
    if (!name.startsWith('$')) {
      ops.push({ op: '$set', key: name, value: arg });
      continue;
    }
    const field = `user_properties.${name}`;
    if (!KNOWN_OPS.has(name)) {
      issues.push({ index, field, message: `is not an identify operation; use one of ${[...KNOWN_OPS].join(', ')}` });
      continue;
    }
    if (name === '$clearAll') {
      ops.push({ op: '$clearAll' });
      continue;
    }
    if (!isObject(arg)) {
      issues.push({ index, field, message: 'must be an object of properties' });
      continue;
    }
    for (const [key, value] of Object.entries(arg)) {
      if (name === '$add') {
        const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
        if (typeof n !== 'number' || !Number.isFinite(n)) {
          issues.push({ index, field: `${field}.${key}`, message: 'must be a number' });
          continue;
        }
        if (Math.abs(n) > Number.MAX_SAFE_INTEGER) {
          issues.push({ index, field: `${field}.${key}`, message: `must be between -${Number.MAX_SAFE_INTEGER} and ${Number.MAX_SAFE_INTEGER}` });
          continue;
        }
        ops.push({ op: '$add', key, value: n });
      } else {
        ops.push({ op: name as KeyOp, key, value });
      }
    }
  }
  return ops;
}

/** Id of the trait change an event carries: its own dedup key, so a retried event changes nothing twice. */
const traitMessageId = (insertId: string | undefined) => (insertId === undefined ? undefined : `${insertId}#user_properties`);

/**
 * One Amplitude event -> store writes: the event (unless `$identify`) and its
 * identify operations. `ts` is the already-checked event time.
 */
export function fromAmplitude(e: AmplitudeEvent, index: number, issues: FieldIssue[], ts: Date): WriteItem[] {
  const externalId = e.user_id ?? e.device_id;
  if (!externalId) {
    issues.push({ index, field: 'user_id', message: ID_REQUIRED_MESSAGE });
    return [];
  }
  const messageId = e.insert_id ?? undefined;
  const identify = e.event_type === IDENTIFY_EVENT;
  const out: WriteItem[] = identify ? [] : [{ kind: 'track', externalId, event: e.event_type, ts, props: e.event_properties ?? {}, messageId }];
  const ops = e.user_properties ? identifyOps(e.user_properties, index, issues) : [];
  // An `$identify` without properties still makes the user known, as a Segment identify does.
  if (ops.length || identify) out.push({ kind: 'identify', externalId, traits: {}, ops, ts, messageId: identify ? messageId : traitMessageId(messageId) });
  return out;
}

/** One identification of the Identify API -> its identify write. */
export function fromIdentification(v: AmplitudeIdentification, index: number, issues: FieldIssue[], ts: Date): WriteItem[] {
  const externalId = v.user_id ?? v.device_id;
  if (!externalId) {
    issues.push({ index, field: 'user_id', message: ID_REQUIRED_MESSAGE });
    return [];
  }
  const ops = v.user_properties ? identifyOps(v.user_properties, index, issues) : [];
  return [{ kind: 'identify', externalId, traits: {}, ops, ts, messageId: v.insert_id ?? undefined }];
}
