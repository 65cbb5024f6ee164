import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AMPLITUDE_ROUTES,
  INGEST_ROUTES,
  WRITE_KEY,
  adminHeaders,
  basicAuth,
  bearer,
  createTestApp,
  storedCounts,
  type IngestRoute,
  type TestApp,
} from '../../test/support/test-app.js';

/**
 * Property tests of the ingestion edge: whatever bytes arrive, the answer is a
 * 2xx or a 4xx in the contract's error shape (never a 500), a rejected request
 * stores nothing, and nothing reaches Object.prototype.
 *
 * Bodies are built as a small JSON syntax tree and serialized by hand, so keys
 * such as `__proto__` really appear in the text (JSON.stringify would drop
 * them) and numbers such as `1e400` or `-0` can be written verbatim.
 */

// ---------- JSON syntax tree ----------
class Obj {
  constructor(readonly entries: [string, Json][]) {}
}
class Arr {
  constructor(readonly items: Json[]) {}
}
class RawNum {
  constructor(readonly text: string) {}
}
/** Already-serialized JSON text (deep nesting is built as text to keep the generator cheap). */
class RawJson {
  constructor(readonly text: string) {}
}
type Json = null | boolean | number | string | Obj | Arr | RawNum | RawJson;

function serialize(v: Json): string {
  if (v instanceof Obj) return `{${v.entries.map(([k, x]) => `${JSON.stringify(k)}:${serialize(x)}`).join(',')}}`;
  if (v instanceof Arr) return `[${v.items.map(serialize).join(',')}]`;
  if (v instanceof RawNum || v instanceof RawJson) return v.text;
  if (typeof v === 'number' && !Number.isFinite(v)) return 'null';
  return JSON.stringify(v);
}

// ---------- arbitraries ----------
const PROTO_KEYS = ['__proto__', 'constructor', 'prototype'] as const;
const SPECIAL = [
  '', ' ', '\t\n', '\u0000', 'a\u0000b', '\ud800', '\udfff', '\udfff\ud800', 'x\udbff', '\u202e', '\u200f', 'مرحبا بالعالم', '\u200b', '\u200d',
  '\ufeff', '\u2028\u2029', '🎉', '👩‍👩‍👧‍👦', '🏳️‍🌈', 'e\u0301', '\uffff', '"', '\\', '\\u0000', '</script>', "'; DROP TABLE events; --", '%s%n%x',
  'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', '__defineGetter__', 'isAdmin', 'polluted', '$set', '$setOnce',
  'view', 'purchase', 'track', 'identify', 'alias', 'null', 'true', '0', '-1', '1e400', 'NaN', '2024-01-01T00:00:00Z',
] as const;

const oddChar = fc.oneof(
  fc.constantFrom(...SPECIAL),
  fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)),
  fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c)),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
);
const str: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...SPECIAL) },
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 16 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 16 }) },
  { weight: 2, arbitrary: fc.string({ unit: oddChar, maxLength: 8 }) },
);
/** Huge strings: around and beyond the 32 KiB event limit, sometimes beyond 1 MiB in total. */
const huge = fc.tuple(fc.constantFrom('x', 'é', '🎉', '\u0000', '\ud800'), fc.integer({ min: 1_000, max: 40_000 })).map(([c, n]) => c.repeat(n));
// Rare here (one poisoned key rejects the whole body); the third property aims at them directly.
const key = fc.oneof({ weight: 1, arbitrary: fc.constantFrom(...PROTO_KEYS) }, { weight: 300, arbitrary: str });
const num: fc.Arbitrary<Json> = fc.oneof(
  fc.integer(),
  fc.integer({ min: 0, max: 10 }),
  fc.double(),
  fc.constantFrom(Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 8.64e15, 8.64e15 + 1, 1e21, 0.5, -1),
  fc.constantFrom('1e400', '-1e400', '-0', '1E-400', '123456789012345678901234567890', '0.0000000000000000000001', '1.0').map((t) => new RawNum(t)),
);
const leaf: fc.Arbitrary<Json> = fc.oneof(
  { weight: 60, arbitrary: str },
  { weight: 40, arbitrary: num },
  { weight: 30, arbitrary: fc.constant(null) },
  { weight: 20, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: huge },
);

/** Nesting as text: arrays, objects, or `__proto__` chains, from shallow to very deep. */
const nesting = (shapes: [open: string, close: string][]): fc.Arbitrary<Json> =>
  fc
    .tuple(fc.constantFrom(...shapes), fc.oneof(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 40, max: 20_000 })))
    .map(([[open, close], depth]) => new RawJson(open.repeat(depth) + (open === '[' ? '' : '1') + close.repeat(depth)));
const deep = nesting([['[', ']'], ['{"a":', '}'], ['{"x":[', ']}'], ['{"constructor":{"a":', '}}']]);
const deepProto = nesting([['{"__proto__":', '}'], ['{"constructor":{"prototype":', '}}'], ['{"a":{"__proto__":', '}}']]);

const { value } = fc.letrec<{ value: Json; arr: Json; obj: Json }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { weight: 160, arbitrary: leaf },
    { weight: 40, arbitrary: tie('arr') },
    { weight: 40, arbitrary: tie('obj') },
    { weight: 4, arbitrary: deep },
    { weight: 1, arbitrary: deepProto },
  ),
  arr: fc.array(tie('value'), { maxLength: 4 }).map((a) => new Arr(a)),
  obj: fc.array(fc.tuple(key, tie('value')), { maxLength: 5 }).map((e) => new Obj(e)),
}));

const ABSENT = Symbol('absent');
type Field = Json | typeof ABSENT;
/** Mostly a plausible value, sometimes anything, sometimes missing. */
const field = (plausible: fc.Arbitrary<Json>) =>
  fc.oneof({ weight: 14, arbitrary: plausible }, { weight: 1, arbitrary: value }, { weight: 1, arbitrary: fc.constant<Field>(ABSENT) });
const id: fc.Arbitrary<Json> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('u1', 'u2', 'anon-1', 'anon-2') },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 5 }) },
  { weight: 4, arbitrary: str },
  { weight: 1, arbitrary: fc.constant(null) },
);
const idOrHuge = fc.oneof({ weight: 30, arbitrary: id }, { weight: 1, arbitrary: huge });
const eventName: fc.Arbitrary<Json> = fc.oneof({ weight: 12, arbitrary: fc.constantFrom('view', 'cart', 'purchase', 'fuzz_custom') }, { weight: 12, arbitrary: str }, { weight: 1, arbitrary: huge });
const props: fc.Arbitrary<Json> = fc.oneof({ weight: 6, arbitrary: fc.array(fc.tuple(key, value), { maxLength: 6 }).map((e) => new Obj(e)) }, { weight: 1, arbitrary: value });
const isoTime: fc.Arbitrary<Json> = fc.oneof(
  { weight: 8, arbitrary: fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2030-01-01T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString()) },
  { weight: 2, arbitrary: fc.constantFrom('2024-02-30T00:00:00Z', '0000-01-01T00:00:00Z', '9999-12-31T23:59:59.999999Z', '2024-01-01T00:00:00+14:00', '2024-01-01', 'now') },
  { weight: 1, arbitrary: str },
);
const msTime: fc.Arbitrary<Json> = fc.oneof(fc.integer({ min: 0, max: 4_102_444_800_000 }), num);

/** An object from named fields plus stray entries (prototype keys among them) at random places. */
function record(fields: Record<string, fc.Arbitrary<Field>>): fc.Arbitrary<Obj> {
  const names = Object.keys(fields);
  return fc
    .tuple(
      fc.tuple(...names.map((n) => fields[n])),
      fc.oneof({ weight: 3, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: fc.array(fc.tuple(fc.nat(), key, value), { minLength: 1, maxLength: 2 }) }),
    )
    .map(([vals, extra]) => {
      const entries: [string, Json][] = [];
      vals.forEach((v, i) => {
        if (v !== ABSENT) entries.push([names[i], v as Json]);
      });
      for (const [at, k, v] of extra) entries.splice(at % (entries.length + 1), 0, [k, v]);
      return new Obj(entries);
    });
}

const segmentCommon = { timestamp: field(isoTime), messageId: field(fc.oneof(fc.constantFrom('m1', 'm2'), id)), context: field(props) };
const trackItem = record({ userId: field(idOrHuge), anonymousId: field(id), event: field(eventName), properties: field(props), ...segmentCommon });
const identifyItem = record({ userId: field(id), anonymousId: field(id), traits: field(props), ...segmentCommon });
const aliasItem = record({ previousId: field(idOrHuge), userId: field(id), timestamp: field(isoTime), messageId: field(id) });
const typed = (type: string, item: fc.Arbitrary<Obj>) =>
  fc.tuple(field(fc.constant(type)), item).map(([t, o]) => (t === ABSENT ? o : new Obj([['type', t as Json], ...o.entries])));
const pageItem = record({ userId: field(id), anonymousId: field(id), name: field(fc.oneof(eventName, value)), category: field(eventName), properties: field(props), ...segmentCommon });
const groupItem = record({ userId: field(id), groupId: field(idOrHuge), traits: field(props), ...segmentCommon });
const batchItem = fc.oneof(
  typed('track', trackItem),
  typed('identify', identifyItem),
  typed('alias', aliasItem),
  typed('page', pageItem),
  typed('screen', pageItem),
  typed('group', groupItem),
  value,
);
const identifyOp = fc.constantFrom('$set', '$setOnce', '$add', '$append', '$prepend', '$preInsert', '$postInsert', '$remove', '$unset', '$clearAll', '$nope');
const amplitudeItem = record({
  user_id: field(idOrHuge),
  device_id: field(id),
  event_type: field(eventName),
  time: field(msTime),
  event_properties: field(props),
  user_properties: field(fc.oneof(
    props,
    fc.tuple(key, props).map(([k, p]) => new Obj([['$set', p], [k, p]])),
    fc.array(fc.tuple(identifyOp, fc.oneof(props, value)), { maxLength: 3 }).map((ops) => new Obj(ops as [string, Json][])),
  )),
  insert_id: field(fc.oneof(fc.constantFrom('i1', 'i2'), id)),
});

const bodyFor: Record<IngestRoute, fc.Arbitrary<Json>> = {
  '/v1/track': trackItem,
  '/v1/identify': identifyItem,
  '/v1/alias': aliasItem,
  '/v1/batch': record({ batch: field(fc.array(batchItem, { maxLength: 6 }).map((a) => new Arr(a))) }),
  '/v1/page': pageItem,
  '/v1/screen': pageItem,
  '/v1/group': groupItem,
  '/2/httpapi': record({ events: field(fc.array(amplitudeItem, { maxLength: 6 }).map((a) => new Arr(a))), options: field(value) }),
  '/batch': record({ events: field(fc.array(amplitudeItem, { maxLength: 6 }).map((a) => new Arr(a))) }),
  '/identify': record({ identification: field(fc.oneof(
    fc.array(amplitudeItem, { maxLength: 4 }).map((a) => new Arr(a)),
    amplitudeItem,
    amplitudeItem.map((o) => serialize(o)),
  )) }),
};

type Auth = 'basic' | 'bearer' | 'api_key' | 'none' | 'wrong';
const auth = fc.constantFrom<Auth>('basic', 'basic', 'basic', 'basic', 'api_key', 'api_key', 'bearer', 'none', 'wrong');

function withAuth(body: Json, a: Auth): { body: Json; headers: Record<string, string> } {
  if (a === 'basic') return { body, headers: { authorization: basicAuth() } };
  if (a === 'bearer') return { body, headers: { authorization: bearer(WRITE_KEY) } };
  if (a === 'wrong') return { body, headers: { authorization: basicAuth('wrong-key') } };
  if (a === 'api_key' && body instanceof Obj) return { body: new Obj([['api_key', WRITE_KEY], ...body.entries]), headers: {} };
  return { body, headers: {} };
}

/** Breaks a serialized body: truncation, a stray character, or a classic non-JSON payload. */
const corrupt = fc.oneof(
  fc.tuple(fc.nat(), fc.constant('')).map(([at]) => (s: string) => s.slice(0, at % Math.max(1, s.length))),
  fc.tuple(fc.nat(), oddChar).map(([at, c]) => (s: string) => s.slice(0, at % (s.length + 1)) + c + s.slice(at % (s.length + 1))),
  fc.constantFrom('', ' ', 'undefined', 'NaN', '{', '}', '[', "{'userId':'u'}", '{"a":1,}', '{"a" 1}', '\ufeff{}', 'null', '0', '"str"', '[]', '[{}]', 'true').map((x) => () => x),
);

// ---------- the harness ----------
let t: TestApp;
const protoNames = Object.getOwnPropertyNames(Object.prototype).sort();
const arrayProtoNames = Object.getOwnPropertyNames(Array.prototype).sort();

beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t?.close();
});

function expectPrototypesClean() {
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(protoNames);
  expect(Object.getOwnPropertyNames(Array.prototype).sort()).toEqual(arrayProtoNames);
  const probe: Record<string, unknown> = {};
  for (const k of ['polluted', 'isAdmin', 'x', 'a', '1', 'toString2']) expect(probe[k]).toBeUndefined();
  // eslint-disable-next-line no-restricted-syntax
  for (const k in probe) throw new Error(`Object.prototype gained an enumerable property ${k}`);
}

const stats = { sent: 0, ok: 0, byStatus: new Map<number, number>() };

/** Sends one raw body and checks every invariant of the edge. */
/** Counts after the previous request: requests run one at a time and only this file writes. */
let lastCounts: Record<string, number> | undefined;

async function check(route: IngestRoute, payload: string, headers: Record<string, string>) {
  const before = lastCounts ?? (await storedCounts(t.db));
  const res = await t.app.inject({ method: 'POST', url: route, payload, headers: { 'content-type': 'application/json', ...headers } });
  const after = await storedCounts(t.db);
  lastCounts = after;
  stats.sent++;
  stats.byStatus.set(res.statusCode, (stats.byStatus.get(res.statusCode) ?? 0) + 1);
  const where = `${route} ${res.statusCode} ${res.body.slice(0, 300)}\nbody: ${payload.slice(0, 300)}`;
  expect(res.statusCode >= 200 && res.statusCode < 500, where).toBe(true);
  expect(res.statusCode < 300 || res.statusCode >= 400, where).toBe(true);
  const body = JSON.parse(res.body);
  if (res.statusCode >= 400) {
    if (AMPLITUDE_ROUTES.includes(route)) {
      // Amplitude's shape: its SDK reads the status from `code`.
      expect(body, where).toEqual(expect.objectContaining({ code: res.statusCode, error: expect.any(String) }));
      expect(body.error.length, where).toBeGreaterThan(0);
    } else {
      expect(body, where).toEqual({ error: expect.objectContaining({ code: expect.stringMatching(/^[a-z][a-z0-9_]*$/), message: expect.any(String) }) });
      expect(Object.keys(body.error).every((k) => ['code', 'message', 'details'].includes(k)), where).toBe(true);
      expect(body.error.message.length, where).toBeGreaterThan(0);
    }
    expect(after, `a rejected request changed the store: ${where}`).toEqual(before);
  } else {
    stats.ok++;
    // An alias may merge two people into one, so only `users` may shrink.
    for (const k of ['events', 'traits', 'identities', 'props']) expect(after[k], where).toBeGreaterThanOrEqual(before[k]);
    if (AMPLITUDE_ROUTES.includes(route)) expect(body).toMatchObject({ code: 200, events_ingested: expect.any(Number) });
    else expect(body).toMatchObject({ success: true });
  }
  expectPrototypesClean();
}

const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;
const budget = (ms: number, numRuns: number) => ({ numRuns, seed, plugins: [fc.interruptAfterTimeLimit(ms)] });
const routeArb = fc.constantFrom(...INGEST_ROUTES);

describe('ingestion fuzz', () => {
  it('structured near-valid bodies: never 500, rejected requests store nothing', { timeout: 120_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(
        routeArb.chain((route) => fc.tuple(fc.constant(route), bodyFor[route], auth)),
        async ([route, body, a]) => {
          const r = withAuth(body, a);
          await check(route, serialize(r.body), r.headers);
        },
      ),
      budget(20_000, 1_500),
    );
  });

  it('arbitrary JSON values and corrupted text on every route', { timeout: 120_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(
        routeArb.chain((route) => fc.tuple(fc.constant(route), fc.oneof(bodyFor[route], value), auth, fc.option(corrupt, { freq: 2 }))),
        async ([route, body, a, breakIt]) => {
          const r = withAuth(body, a);
          const text = serialize(r.body);
          await check(route, breakIt ? breakIt(text) : text, r.headers);
        },
      ),
      budget(12_000, 1_000),
    );
  });

  it('prototype keys and deep nesting at any depth inside otherwise valid bodies', { timeout: 120_000 }, async () => {
    const nasty = fc.oneof(
      deep,
      deepProto,
      fc.tuple(fc.constantFrom(...PROTO_KEYS), value).map(([k, v]) => new Obj([[k, v]])),
      fc.constant(new RawJson('{"constructor":{"prototype":{"polluted":true}}}')),
      fc.constant(new RawJson('{"__proto__":{"polluted":true,"isAdmin":true}}')),
      fc.constant(new RawJson('[{"__proto__":{"polluted":true}}]')),
    );
    const places: Record<IngestRoute, (v: Json) => Json> = {
      '/v1/track': (v) => new Obj([['userId', 'u1'], ['event', 'view'], ['properties', new Obj([['p', v]])]]),
      '/v1/identify': (v) => new Obj([['userId', 'u1'], ['traits', new Obj([['t', new Obj([['n', v]])]])]]),
      '/v1/alias': (v) => new Obj([['previousId', 'anon-1'], ['userId', 'u1'], ['context', v]]),
      '/v1/batch': (v) => new Obj([['batch', new Arr([new Obj([['type', 'track'], ['userId', 'u2'], ['event', 'click'], ['properties', v]])])]]),
      '/v1/page': (v) => new Obj([['userId', 'u1'], ['name', 'Home'], ['properties', new Obj([['p', v]])]]),
      '/v1/screen': (v) => new Obj([['userId', 'u1'], ['properties', v]]),
      '/v1/group': (v) => new Obj([['userId', 'u1'], ['groupId', 'g1'], ['traits', new Obj([['t', v]])]]),
      '/2/httpapi': (v) => new Obj([['events', new Arr([new Obj([['user_id', 'u3'], ['event_type', 'view'], ['user_properties', new Obj([['$set', v]])]])])]]),
      '/batch': (v) => new Obj([['events', new Arr([new Obj([['user_id', 'u3'], ['event_type', 'view'], ['user_properties', new Obj([['$append', new Obj([['l', v]])]])]])])]]),
      '/identify': (v) => new Obj([['identification', new Arr([new Obj([['user_id', 'u4'], ['user_properties', new Obj([['$setOnce', v]])]])])]]),
    };
    await fc.assert(
      fc.asyncProperty(routeArb, nasty, fc.boolean(), async (route, v, topLevel) => {
        const body = topLevel && v instanceof Obj ? new Obj([...(places[route](null) as Obj).entries, ...v.entries]) : places[route](v);
        await check(route, serialize(body), { authorization: basicAuth() });
      }),
      budget(8_000, 400),
    );
  });

  it('the store still reads and writes after the fuzz', async () => {
    for (const url of ['/v1/event-types', '/v1/events/live?limit=1000']) {
      const res = await t.app.inject({ method: 'GET', url, headers: adminHeaders });
      expect(res.statusCode, res.body.slice(0, 300)).toBe(200);
    }
    const { items } = (await t.app.inject({ method: 'GET', url: '/v1/events/live?limit=200', headers: adminHeaders })).json() as { items: { userId: string }[] };
    for (const userId of new Set(items.map((e) => e.userId))) {
      const res = await t.app.inject({ method: 'GET', url: `/v1/users/${encodeURIComponent(userId)}`, headers: adminHeaders });
      expect(res.statusCode, `${JSON.stringify(userId)}: ${res.body.slice(0, 200)}`).toBe(200);
    }
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/track',
      payload: JSON.stringify({ userId: 'after-fuzz', event: 'view' }),
      headers: { 'content-type': 'application/json', authorization: basicAuth() },
    });
    expect(res.statusCode).toBe(200);
    // The fuzz must have exercised both outcomes, or it proved little.
    console.log('fuzz requests', stats.sent, 'accepted', stats.ok, 'by status', Object.fromEntries(stats.byStatus));
    expect(stats.ok).toBeGreaterThan(0);
    expect(stats.sent - stats.ok).toBeGreaterThan(0);
  });
});
