import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signStandardWebhook } from '../../src/destinations/webhook.js';
import { freshPgDatabaseUrl, noPostgres } from '../../src/storage/postgres/test-support/pg-test-db.js';
import { dropFreshDatabases, freshClickHouseDatabaseUrl, noClickHouse } from '../../src/storage/clickhouse/test-support/ch-test-db.js';
import { callServer, killAllServers, startServerProcess, type ServerProcess } from '../support/server-process.js';

/**
 * KOHORT_DATABASE_URL + KOHORT_EVENTS_URL (docs/DEPLOY.md): a real `kohort serve`
 * keeps cohorts, history, destinations, syncs with their acknowledged sets,
 * accounts and audit in PostgreSQL, and events with member sets in ClickHouse
 * (no DuckDB file at all). After
 * a restart on the same PostgreSQL database and data dir everything is found
 * again, and a second sync run is a delta that sends nothing.
 */
const ADMIN = 'pg-metadata-admin-token-0123';
const WRITE = 'pg-metadata-write-key-0123';

const dirs: string[] = [];
afterAll(async () => {
  killAllServers();
  await dropFreshDatabases();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A webhook receiver that accepts everything and remembers which users were added and removed. */
const received: { type: string; users: string[] }[] = [];
/** Step webhooks (`/step`): the user, and whether the signature checks out with the step's secret. */
const STEP_SECRET = 'whsec_cGctc3RlcC1zZWNyZXQtMDEyMzQ1Njc4OWFi';
const stepCalls: { userId: string; stepName: string; signed: boolean }[] = [];
let receiver: Server;
beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const body = JSON.parse(raw);
      if (req.url === '/step') {
        const h = (k: string) => String(req.headers[k]);
        const expected = signStandardWebhook(STEP_SECRET, h('webhook-id'), Number(h('webhook-timestamp')), raw);
        stepCalls.push({ userId: body.userId, stepName: body.stepName, signed: h('webhook-signature') === expected });
        res.writeHead(200).end('{}');
        return;
      }
      received.push({ type: body.type, users: body.users.map((u: { userId: string }) => u.userId) });
      res.writeHead(200).end('{}');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
});
afterAll(() => new Promise<void>((r) => (receiver ? receiver.close(() => r()) : r())));

const api = <T = any>(s: ServerProcess, method: string, path: string, body?: unknown, token = ADMIN) => callServer<T>(s, token, method, path, body);

async function stop(s: ServerProcess): Promise<void> {
  s.proc.kill('SIGTERM');
  await s.exited;
}

describe.skipIf(noPostgres() || noClickHouse())('KOHORT_DATABASE_URL + KOHORT_EVENTS_URL: metadata in PostgreSQL, events in ClickHouse', () => {
  it('keeps cohorts, history, syncs, acknowledged sets and accounts across a restart', async () => {
    const url = await freshPgDatabaseUrl();
    const events = freshClickHouseDatabaseUrl();
    const dir = mkdtempSync(join(tmpdir(), 'kohort-pg-meta-'));
    dirs.push(dir);
    const start = () => startServerProcess(dir, { adminToken: ADMIN, writeKey: WRITE }, { KOHORT_DATABASE_URL: url, KOHORT_EVENTS_URL: events, LOG_LEVEL: 'info' });

    let s = await start();
    expect(s.tail.some((l) => l.includes('in ClickHouse') && l.includes('in PostgreSQL') && l.includes('any number of processes'))).toBe(true);
    const users = Array.from({ length: 30 }, (_, i) => `pg-user-${String(i).padStart(2, '0')}`);
    const batch = users.map((userId, i) => ({ type: 'track', userId, event: i % 3 === 0 ? 'purchase' : 'visit', timestamp: new Date().toISOString() }));
    expect((await api(s, 'POST', '/v1/batch', { batch }, WRITE)).status).toBe(200);
    const buyers = users.filter((_, i) => i % 3 === 0);

    const account = await api(s, 'POST', '/v1/accounts', { email: 'ana@example.com', name: 'Ana', role: 'member', password: 'password-123' });
    expect(account.status).toBe(201);
    const cohort = await api(s, 'POST', '/v1/cohorts', { name: 'Buyers', definition: { match: 'all', rules: [{ type: 'event', event: 'purchase' }] } });
    expect(cohort.status).toBe(201);
    const refreshed = await api(s, 'POST', `/v1/cohorts/${cohort.body.id}/refresh`);
    expect(refreshed.body.size).toBe(buyers.length);
    const dest = await api(s, 'POST', '/v1/destinations', { name: 'Hook', type: 'webhook', config: { url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook` } });
    expect(dest.status).toBe(201);
    const sync = await api(s, 'POST', '/v1/syncs', { cohortId: cohort.body.id, destinationId: dest.body.id, frequency: 'once' });
    expect(sync.status).toBe(201);
    expect((await api(s, 'POST', '/v1/syncs', { cohortId: cohort.body.id, destinationId: dest.body.id, frequency: 'once' })).body.error.code).toBe('sync_exists');
    // A `once` sync runs by itself right after it is made.
    await expect
      .poll(async () => (await api(s, 'GET', `/v1/syncs/${sync.body.id}/runs`)).body[0]?.status, { timeout: 30_000 })
      .toBe('succeeded');
    expect(received.filter((r) => r.type === 'cohort.members_added').flatMap((r) => r.users).sort()).toEqual(buyers);
    const history = (await api(s, 'GET', `/v1/cohorts/${cohort.body.id}/history`)).body;
    expect(history.length).toBeGreaterThanOrEqual(2); // the creation's computation and the refresh
    await stop(s);

    // Metadata is in PostgreSQL, and there is no DuckDB file.
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      expect((await c.query('SELECT count(*)::int AS n FROM cohorts')).rows[0].n).toBe(1);
      expect((await c.query('SELECT count(*)::int AS n FROM accounts')).rows[0].n).toBe(1);
    } finally {
      await c.end();
    }
    expect(existsSync(join(dir, 'kohort.duckdb'))).toBe(false);

    s = await start();
    expect((await api(s, 'GET', `/v1/cohorts/${cohort.body.id}`)).body).toMatchObject({ name: 'Buyers', size: buyers.length });
    expect((await api(s, 'GET', `/v1/cohorts/${cohort.body.id}/history`)).body).toEqual(history);
    const page = await api(s, 'GET', `/v1/cohorts/${cohort.body.id}/members?limit=100`);
    expect(page.body.items).toEqual(buyers);
    expect((await api(s, 'GET', `/v1/destinations/${dest.body.id}`)).body).toMatchObject({ id: dest.body.id, name: 'Hook' });
    expect((await api(s, 'GET', `/v1/syncs/${sync.body.id}`)).body).toMatchObject({ id: sync.body.id, cohortId: cohort.body.id });
    expect((await api(s, 'GET', '/v1/accounts')).body.items.map((a: { email: string }) => a.email)).toEqual(['ana@example.com']);
    const login = await api(s, 'POST', '/v1/auth/login', { email: 'ana@example.com', password: 'password-123' }, '');
    expect(login.status).toBe(200);
    const audit = (await api<{ items: { action: string }[] }>(s, 'GET', '/v1/audit')).body.items;
    expect(audit.length).toBeGreaterThan(0);

    // The acknowledged set survived: the next run is a delta that sends nothing.
    const before = received.length;
    const again = await api(s, 'POST', `/v1/syncs/${sync.body.id}/run`);
    expect(again.status).toBe(202);
    await expect
      .poll(async () => (await api(s, 'GET', `/v1/syncs/${sync.body.id}/runs`)).body.filter((r: { status: string }) => r.status === 'succeeded').length, { timeout: 30_000 })
      .toBe(2);
    const latest = (await api(s, 'GET', `/v1/syncs/${sync.body.id}/runs`)).body[0];
    expect(latest).toMatchObject({ status: 'succeeded', full: false, added: 0, removed: 0 });
    expect(received.length).toBe(before);
    await stop(s);
  });

  it('keeps workflows in PostgreSQL: boards, step actions, contacts by step, sealed step secrets, across a restart', async () => {
    const url = await freshPgDatabaseUrl();
    const events = freshClickHouseDatabaseUrl();
    const dir = mkdtempSync(join(tmpdir(), 'kohort-pg-wf-'));
    dirs.push(dir);
    const start = () =>
      startServerProcess(dir, { adminToken: ADMIN, writeKey: WRITE }, { KOHORT_DATABASE_URL: url, KOHORT_EVENTS_URL: events, KOHORT_ALLOW_PRIVATE_URLS: '127.0.0.1', LOG_LEVEL: 'info' });
    const signup = (ids: string[]) => ({ batch: ids.map((userId) => ({ type: 'track', userId, event: 'signup', timestamp: new Date().toISOString() })) });
    const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/step`;

    let s = await start();
    expect(s.tail.some((l) => l.includes('workflows, leases, identity) in PostgreSQL'))).toBe(true);
    expect((await api(s, 'POST', '/v1/batch', signup(['wf-a', 'wf-b', 'wf-c', 'wf-d']), WRITE)).status).toBe(200);
    const cohort = await api(s, 'POST', '/v1/cohorts', { name: 'Trials', definition: { match: 'all', rules: [{ type: 'event', event: 'signup' }] } });
    expect(cohort.status).toBe(201);
    const cid = cohort.body.id as string;
    expect((await api(s, 'POST', `/v1/cohorts/${cid}/refresh`)).body.size).toBe(4);
    const put = await api(s, 'PUT', `/v1/cohorts/${cid}/steps`, {
      steps: [{ name: 'New', action: { type: 'webhook', url: hookUrl, secret: STEP_SECRET } }, { name: 'Called' }],
    });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    const [fresh, called] = put.body as { id: string; name: string }[];
    // Current members start in the first step without firing its action; newcomers fire it.
    expect((await api(s, 'POST', '/v1/batch', signup(['wf-e', 'wf-f']), WRITE)).status).toBe(200);
    expect((await api(s, 'POST', `/v1/cohorts/${cid}/refresh`)).body.size).toBe(6);
    await expect.poll(() => stepCalls.map((c) => c.userId).sort(), { timeout: 30_000 }).toEqual(['wf-e', 'wf-f']);
    expect(stepCalls.every((c) => c.signed && c.stepName === 'New')).toBe(true);
    expect((await api(s, 'POST', `/v1/cohorts/${cid}/cards/wf-b/move`, { stepId: called.id })).status).toBe(200);

    const contactsIn = async (stepId: string) => {
      const r = await api(s, 'GET', `/v1/contacts?cohortId=${cid}&stepId=${stepId}`);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      return r.body as { total: number; items: { userId: string; cohorts: { id: string; stepName: string | null }[] }[] };
    };
    const checkBoard = async () => {
      const board = (await api(s, 'GET', `/v1/cohorts/${cid}/board?limit=100`)).body;
      expect(board.items.map((c: { userId: string; stepId: string }) => [c.userId, c.stepId])).toEqual([
        ['wf-a', fresh.id], ['wf-b', called.id], ['wf-c', fresh.id], ['wf-d', fresh.id], ['wf-e', fresh.id], ['wf-f', fresh.id],
      ]);
      const inNew = await contactsIn(fresh.id);
      expect([inNew.items.map((c) => c.userId), inNew.total]).toEqual([['wf-a', 'wf-c', 'wf-d', 'wf-e', 'wf-f'], 5]);
      expect(inNew.items.every((c) => c.cohorts.find((x) => x.id === cid)?.stepName === 'New')).toBe(true);
      const inCalled = await contactsIn(called.id);
      expect(inCalled.items.map((c) => [c.userId, c.cohorts.find((x) => x.id === cid)?.stepName])).toEqual([['wf-b', 'Called']]);
      const actions = (await api(s, 'GET', `/v1/cohorts/${cid}/actions`)).body.items as { userId: string; status: string }[];
      expect(actions.map((a) => [a.userId, a.status]).sort()).toEqual([['wf-e', 'succeeded'], ['wf-f', 'succeeded']]);
    };
    await expect.poll(async () => ((await api(s, 'GET', `/v1/cohorts/${cid}/actions`)).body.items as { status: string }[]).every((a) => a.status === 'succeeded')).toBe(true);
    await checkBoard();
    await stop(s);

    // The board lives in PostgreSQL, with the step secret sealed (never in plain text).
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      expect((await c.query('SELECT count(*)::int AS n FROM workflow_cards')).rows[0].n).toBe(6);
      const stored = (await c.query('SELECT action::text AS a FROM workflow_steps UNION ALL SELECT action::text FROM workflow_actions')).rows.map((r) => String(r.a));
      expect(stored.length).toBe(4);
      expect(stored.some((a) => a.includes('"webhook"'))).toBe(true);
      expect(stored.every((a) => !a.includes(STEP_SECRET) && !a.includes(STEP_SECRET.slice(6)))).toBe(true);
    } finally {
      await c.end();
    }

    s = await start();
    await checkBoard();
    // The sealed secret still signs: a newcomer after the restart gets a correctly signed webhook.
    expect((await api(s, 'POST', '/v1/batch', signup(['wf-g']), WRITE)).status).toBe(200);
    expect((await api(s, 'POST', `/v1/cohorts/${cid}/refresh`)).body.size).toBe(7);
    await expect.poll(() => stepCalls.find((x) => x.userId === 'wf-g')?.signed, { timeout: 30_000 }).toBe(true);
    await stop(s);
  });

  it('fails to start with a clear message when PostgreSQL cannot be reached', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kohort-pg-down-'));
    dirs.push(dir);
    // A port nothing listens on: taken and released at once.
    const port = await new Promise<number>((resolve) => {
      const srv = createServer().listen(0, '127.0.0.1', () => {
        const p = (srv.address() as AddressInfo).port;
        srv.close(() => resolve(p));
      });
    });
    const url = `postgres://kohort:s3cret-pass@127.0.0.1:${port}/kohort`;
    const started = startServerProcess(dir, { adminToken: ADMIN, writeKey: WRITE }, { KOHORT_DATABASE_URL: url, KOHORT_EVENTS_URL: 'http://127.0.0.1:1/kohort' });
    await expect(started).rejects.toThrow(/KOHORT_DATABASE_URL: cannot use PostgreSQL at postgres:\/\/kohort:(•|%E2%80%A2)+@127\.0\.0\.1:\d+\/kohort: .*ECONNREFUSED/);
    await expect(started).rejects.not.toThrow(/s3cret-pass/);
  });
});
