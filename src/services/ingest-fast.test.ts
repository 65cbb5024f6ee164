import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { amplitudeEventSchema, batchItemSchema, identifySchema, trackSchema } from '../schemas/events.js';
import { fastAmplitudeEvent, fastSegmentItem, jsonBytesBound } from './ingest-fast.js';

/**
 * The fast path must never disagree with the schemas: whenever it answers,
 * zod accepts the same input and yields the same value. Inputs are random
 * JSON texts, parsed as the server parses them, mostly well-formed, with the
 * odd values that make zod refuse (blank ids, lone surrogates, bad times,
 * nulls where only undefined is allowed, deep nesting).
 */
const odd = fc.constantFrom('', ' ', '  x  ', '\t', '\ud800', 'a\udfffb', '🎉', 'é', '\u00a0', '\ufeff', 'x'.repeat(201), 'y'.repeat(1025), '\u0000');
const str = fc.oneof({ weight: 5, arbitrary: fc.string({ maxLength: 12 }) }, { weight: 2, arbitrary: odd }, { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 6 }) });
const numText = fc.oneof(
  fc.integer().map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => JSON.stringify(d)),
  fc.constantFrom('1e20', '-1e20', '5e-7', '1e400', '-0', '1.0', '123456789012345678901234567890', '1e-400'),
);
/** JSON text of a value, up to a few levels deep; sometimes nested far past the depth limit. */
const valueText: fc.Arbitrary<string> = fc.letrec<{ v: string }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { weight: 6, arbitrary: str.map((s) => JSON.stringify(s)) },
    { weight: 4, arbitrary: numText },
    { weight: 2, arbitrary: fc.constantFrom('null', 'true', 'false') },
    { weight: 2, arbitrary: fc.array(tie('v'), { maxLength: 3 }).map((a) => `[${a.join(',')}]`) },
    { weight: 3, arbitrary: fc.array(fc.tuple(str, tie('v')), { maxLength: 4 }).map((e) => `{${e.map(([k, x]) => `${JSON.stringify(k)}:${x}`).join(',')}}`) },
    { weight: 1, arbitrary: fc.integer({ min: 14, max: 20 }).map((d) => '{"a":'.repeat(d) + '1' + '}'.repeat(d)) },
  ),
})).v;
const propsText = fc.oneof({ weight: 6, arbitrary: fc.array(fc.tuple(str, valueText), { maxLength: 5 }).map((e) => `{${e.map(([k, x]) => `${JSON.stringify(k)}:${x}`).join(',')}}`) }, { weight: 1, arbitrary: valueText });
const idText = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('"u1"', '"anon-7"', '" padded "', '42', '3.5', '-0') },
  { weight: 3, arbitrary: str.map((s) => JSON.stringify(s)) },
  { weight: 1, arbitrary: valueText },
);
const timeText = fc.oneof(
  fc.date({ min: new Date('1970-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => JSON.stringify(d.toISOString())),
  fc.constantFrom('"2024-05-01T12:00:00+02:00"', '"2024-02-30T00:00:00Z"', '"2024-05-01 12:00:00Z"', '"2024-05-01T12:00:00"', '"2024-05-01"', '1714564800000', 'null'),
  valueText,
);
const typeText = fc.oneof({ weight: 8, arbitrary: fc.constantFrom('"track"', '"identify"') }, { weight: 1, arbitrary: fc.constantFrom('"alias"', '"page"', '"Track"', 'null', '1') });

const FIELDS: [string, fc.Arbitrary<string>][] = [
  ['type', typeText],
  ['userId', idText],
  ['anonymousId', idText],
  ['event', fc.oneof({ weight: 5, arbitrary: fc.constantFrom('"view"', '" cart "', '"purchase"') }, { weight: 2, arbitrary: idText })],
  ['timestamp', timeText],
  ['messageId', idText],
  ['properties', propsText],
  ['traits', propsText],
  ['context', propsText],
  ['sentAt', valueText],
  ['extra', valueText],
];
/** An event object's JSON text: each field present most of the time. */
const itemText = fc
  .tuple(...FIELDS.map(([k, a]) => fc.option(a.map((t) => `${JSON.stringify(k)}:${t}`), { freq: 4, nil: undefined })))
  .map((fields) => `{${fields.filter((f) => f !== undefined).join(',')}}`);

describe('fastSegmentItem', () => {
  it('answers only with what zod would produce (batch items and the single track/identify routes)', () => {
    let fast = 0;
    fc.assert(
      fc.property(itemText, (text) => {
        const raw = JSON.parse(text) as Record<string, unknown>;
        const f = fastSegmentItem(raw);
        if (f !== undefined) {
          fast++;
          const z = batchItemSchema.safeParse(raw);
          expect(z.success, text).toBe(true);
          expect(f, text).toEqual(z.data);
        }
        for (const [type, schema] of [['track', trackSchema], ['identify', identifySchema]] as const) {
          const g = fastSegmentItem(raw, type);
          if (g === undefined) continue;
          const z = schema.safeParse(raw);
          expect(z.success, text).toBe(true);
          expect(g, text).toEqual({ ...z.data, type });
        }
      }),
      { numRuns: 3000 },
    );
    // The generator must exercise the fast path, not only the fallback.
    expect(fast).toBeGreaterThan(100);
  });

  it('takes the usual SDK events', () => {
    const item = {
      type: 'track', userId: ' u1 ', event: 'view', timestamp: '2024-05-01T12:00:00.123Z', messageId: 7,
      properties: { price: 10, nested: { a: [1, { b: null }] } }, context: { library: { name: 'analytics-node' } },
    };
    expect(fastSegmentItem(item)).toEqual({ ...batchItemSchema.parse(item) });
    expect(fastSegmentItem({ type: 'identify', anonymousId: 'a', traits: { plan: 'pro' } })).toBeDefined();
  });

  it('leaves to zod what it cannot vouch for', () => {
    expect(fastSegmentItem({ type: 'track', userId: 'u', event: 'v', messageId: null })).toBeUndefined();
    expect(fastSegmentItem({ type: 'track', userId: 'u', event: 'v\ud800' })).toBeUndefined();
    expect(fastSegmentItem({ type: 'track', userId: 'u', event: '  ' })).toBeUndefined();
    expect(fastSegmentItem({ type: 'track', userId: 'u', event: 'v', properties: [] })).toBeUndefined();
    expect(fastSegmentItem(JSON.parse('{"type":"track","userId":"u","event":"v","properties":{"__proto__":1}}'))).toBeUndefined();
    expect(fastSegmentItem({ type: 'alias', userId: 'u', previousId: 'p' })).toBeUndefined();
  });
});

const AMPLITUDE_FIELDS: [string, fc.Arbitrary<string>][] = [
  ['user_id', idText],
  ['device_id', idText],
  ['event_type', fc.oneof({ weight: 5, arbitrary: fc.constantFrom('"view"', '" cart "', '"$identify"') }, { weight: 2, arbitrary: idText })],
  ['time', fc.oneof(fc.constantFrom('1714564800000', '0', '-0', '-1', '1.5', '9007199254740993', '"1714564800000"', 'null'), valueText)],
  ['event_properties', propsText],
  ['user_properties', propsText],
  ['insert_id', idText],
  ['platform', valueText],
];
const amplitudeText = fc
  .tuple(...AMPLITUDE_FIELDS.map(([k, a]) => fc.option(a.map((t) => `${JSON.stringify(k)}:${t}`), { freq: 4, nil: undefined })))
  .map((fields) => `{${fields.filter((f) => f !== undefined).join(',')}}`);

describe('fastAmplitudeEvent', () => {
  it('answers only with what zod would produce, unknown keys passed through', () => {
    let fast = 0;
    fc.assert(
      fc.property(amplitudeText, (text) => {
        const raw = JSON.parse(text) as Record<string, unknown>;
        const f = fastAmplitudeEvent(raw);
        if (f === undefined) return;
        fast++;
        const z = amplitudeEventSchema.safeParse(raw);
        expect(z.success, text).toBe(true);
        expect(f, text).toEqual(z.data);
      }),
      { numRuns: 3000 },
    );
    expect(fast).toBeGreaterThan(100);
  });
});

describe('jsonBytesBound', () => {
  it('is never below the serialized size, numbers written in short forms included', () => {
    fc.assert(
      fc.property(valueText, (text) => {
        const v = JSON.parse(text) as unknown;
        expect(jsonBytesBound(v)).toBeGreaterThanOrEqual(Buffer.byteLength(JSON.stringify(v)));
      }),
      { numRuns: 3000 },
    );
    for (const v of [[1e20, -1.2345678901234567e-308, -0.0000012345678901234567, 5e-7], { '\u0001': '\u001f\ud800🎉é' }]) {
      expect(jsonBytesBound(v)).toBeGreaterThanOrEqual(Buffer.byteLength(JSON.stringify(v)));
    }
  });

  it('gives up on values nested too deeply to walk', () => {
    expect(jsonBytesBound(JSON.parse('['.repeat(100) + ']'.repeat(100)))).toBe(Infinity);
  });
});
