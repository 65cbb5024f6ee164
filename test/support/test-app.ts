import { createAuthenticator } from '../../src/http/auth.js';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, expect } from 'vitest';
import { buildApp } from '../../src/http/app.js';
import { createAccess } from '../../src/services/accounts/access.js';
import { createEventsService } from '../../src/services/events.js';
import { createIngestService, type Clock } from '../../src/services/ingest.js';
import { openDatabase, type Database } from '../../src/storage/duckdb/database.js';
import { openDuckDBEventStore, type DuckDBEventStore } from '../../src/storage/duckdb/duckdb-event-store.js';

export const WRITE_KEY = 'khw_test_write_key_123';
export const ADMIN_TOKEN = 'kha_test_admin_token_456';

export interface TestApp {
  app: FastifyInstance;
  db: Database;
  store: DuckDBEventStore;
  close(): Promise<void>;
}

/** The HTTP app over a fresh in-memory DuckDB store (no background work). */
export async function createTestApp(opts: { now?: Clock } = {}): Promise<TestApp> {
  const db = await openDatabase(':memory:');
  const store = await openDuckDBEventStore(db);
  const app = await buildApp({
    auth: createAuthenticator(ADMIN_TOKEN),
    // This app has no cohort service: no cohorts, so none to see.
    access: createAccess({
      cohorts: { get: async () => undefined, idsOwnedBy: async () => [] },
      collaborators: { get: async () => undefined, listForAccount: async () => [] },
    }),
    writeKey: WRITE_KEY,
    version: '0.0.0-test',
    ingest: createIngestService(store, opts.now),
    events: createEventsService(store),
  });
  await app.ready();
  let closed: Promise<void> | undefined;
  return {
    app,
    db,
    store,
    close() {
      closed ??= (async () => {
        await app.close();
        await store.close();
        await db.close();
      })();
      return closed;
    },
  };
}

export const basicAuth = (key = WRITE_KEY) => `Basic ${Buffer.from(`${key}:`).toString('base64')}`;
export const bearer = (token: string) => `Bearer ${token}`;
export const adminHeaders = { authorization: bearer(ADMIN_TOKEN) };

export const INGEST_ROUTES = [
  '/v1/track',
  '/v1/identify',
  '/v1/alias',
  '/v1/page',
  '/v1/screen',
  '/v1/group',
  '/v1/batch',
  '/2/httpapi',
  '/batch',
  '/identify',
] as const;
export type IngestRoute = (typeof INGEST_ROUTES)[number];

/** One valid body per ingestion route (without credentials). */
export function validBody(route: IngestRoute, n = 0): Record<string, unknown> {
  switch (route) {
    case '/v1/track':
      return { userId: `u-${n}`, event: 'view', properties: { sku: `s${n}` } };
    case '/v1/identify':
      return { userId: `u-${n}`, traits: { plan: 'pro' } };
    case '/v1/alias':
      return { previousId: `anon-${n}`, userId: `u-${n}` };
    case '/v1/batch':
      return { batch: [{ type: 'track', userId: `u-${n}`, event: 'click' }] };
    case '/v1/page':
    case '/v1/screen':
      return { userId: `u-${n}`, name: 'Home', properties: { path: `/p${n}` } };
    case '/v1/group':
      return { userId: `u-${n}`, groupId: `g-${n}`, traits: { plan: 'pro' } };
    case '/2/httpapi':
    case '/batch':
      return { events: [{ user_id: `u-${n}`, event_type: 'purchase', event_properties: { price: 1 } }] };
    case '/identify':
      return { identification: [{ user_id: `u-${n}`, user_properties: { $set: { plan: 'pro' } } }] };
  }
}

/** Total rows in every table an ingestion request can write to. */
export async function storedCounts(db: Database): Promise<Record<string, number>> {
  const [r] = await db.reads.rows<Record<string, bigint>>(
    `SELECT (SELECT count(*) FROM events_all) AS events, (SELECT count(*) FROM user_traits) AS traits,
            (SELECT count(*) FROM users) AS users, (SELECT count(*) FROM identities) AS identities,
            (SELECT count(*) FROM event_properties) AS props`,
  );
  return Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Number(v)]));
}

/** Asserts the contract's error shape and returns the parsed error. */
export function expectError(res: { statusCode: number; body: string }, status: number, code?: string) {
  expect(res.statusCode, res.body).toBe(status);
  const body = JSON.parse(res.body) as { error: { code: string; message: string; details?: unknown } };
  expect(body).toEqual({ error: expect.objectContaining({ code: expect.stringMatching(/^[a-z][a-z0-9_]*$/), message: expect.any(String) }) });
  expect(Object.keys(body.error).every((k) => ['code', 'message', 'details'].includes(k))).toBe(true);
  expect(body.error.message.length).toBeGreaterThan(0);
  if (code) expect(body.error.code).toBe(code);
  return body.error;
}

/** Routes answering in Amplitude's shapes (`{ code, error, ... }`), not the contract's `{ error: {...} }`. */
export const AMPLITUDE_ROUTES: readonly string[] = ['/2/httpapi', '/batch', '/identify'];

export interface AmplitudeError {
  code: number;
  error: string;
  missing_field?: string;
  events_with_invalid_fields?: Record<string, number[]>;
  events_with_missing_fields?: Record<string, number[]>;
  details?: { index?: number; field: string; message: string }[];
}

/**
 * Asserts Amplitude's error shape: `code` equals the status, `error` is a
 * sentence, and the events listed per field are exactly the events the
 * details name (what the SDK drops). Returns the body, with `message` and
 * `details` like expectError's result.
 */
export function expectAmplitudeError(res: { statusCode: number; body: string }, status: number) {
  expect(res.statusCode, res.body).toBe(status);
  const body = JSON.parse(res.body) as AmplitudeError;
  expect(body.code).toBe(status);
  expect(typeof body.error).toBe('string');
  expect(body.error.length).toBeGreaterThan(0);
  const allowed = ['code', 'error', 'missing_field', 'events_with_invalid_fields', 'events_with_missing_fields', 'details'];
  expect(Object.keys(body).filter((k) => !allowed.includes(k))).toEqual([]);
  const listed = [...Object.values(body.events_with_invalid_fields ?? {}), ...Object.values(body.events_with_missing_fields ?? {})].flat();
  const named = (body.details ?? []).filter((d) => d.index !== undefined).map((d) => d.index);
  if (status === 400) expect(new Set(listed)).toEqual(new Set(named));
  return { ...body, message: body.error };
}

/** The error of any ingestion route, in the shape that route answers with. */
export function expectRouteError(route: string, res: { statusCode: number; body: string }, status: number, code?: string) {
  return AMPLITUDE_ROUTES.includes(route) ? expectAmplitudeError(res, status) : expectError(res, status, code);
}

export type LiveItem = { userId: string; event: string; timestamp: string; properties: Record<string, unknown>; receivedAt: string };

/**
 * A fresh test app per test (receive time fixed at `now`), with requests
 * against it: ingestion posts (write key by default) and admin reads.
 */
export function useIngestApp(now: Date) {
  let current: TestApp | undefined;
  beforeEach(async () => {
    current = await createTestApp({ now: () => new Date(now) });
  });
  afterEach(async () => {
    await current?.close();
  });
  return { t: () => current!, ...ingestClient(() => current!) };
}

/** Requests against the current test app: ingestion posts (write key by default) and admin reads. */
function ingestClient(app: () => TestApp) {
  const get = (url: string) => app().app.inject({ method: 'GET', url, headers: adminHeaders });
  return {
    post: (url: string, body: unknown, headers: Record<string, string> = { authorization: basicAuth() }) =>
      app().app.inject({ method: 'POST', url, payload: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } }),
    get,
    live: async (query = '') => (await get(`/v1/events/live${query}`)).json().items as LiveItem[],
    user: async (id: string) => (await get(`/v1/users/${encodeURIComponent(id)}`)).json(),
  };
}
