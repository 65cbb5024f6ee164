import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { killAllServers, startServerProcess, type ServerProcess } from '../support/server-process.js';
import { SlowListReceiver } from '../support/slow-list-receiver.js';

/**
 * Crash test of the sync promise "acknowledged changes only for accepted
 * batches, committed right after each, so a crash resumes where it stopped and
 * loses no change" (sync-protocols.md, Engine rules):
 * a real server process syncs a few thousand members to a slow list receiver
 * (amplitude_list protocol) in batches of 50, 4 in flight; it is SIGKILLed
 * while batches are in flight, restarted on the same data dir, the interrupted
 * sync resumes, and the receiver's list must equal the cohort exactly, with at
 * most the in-flight batches (concurrency x batchSize users) sent twice. Then
 * some users leave and others enter, a delta run follows, and the list must
 * again equal the cohort (removals sent). No timing assertions.
 */

const ADMIN_TOKEN = 'sync-crash-admin-token-0123';
const WRITE_KEY = 'sync-crash-write-key-0123';
const API_KEY = 'sync-crash-list-api-key';
const USERS = 3000;
const BATCH_SIZE = 50;
/** Requests in flight per sync (the runner's default, spec: 4). */
const CONCURRENCY = 4;
/** The server is killed when this add request reaches the receiver (1-based, of 60). */
const KILL_AT_REQUEST = 15;
const LEAVERS = 250;
const NEWCOMERS = 180;

const uid = (i: number) => `sc-${String(i).padStart(5, '0')}`;

// ---------- server process ----------
type Server = ServerProcess;
const startServer = (dataDir: string, env: Record<string, string> = {}): Promise<Server> =>
  startServerProcess(dataDir, { adminToken: ADMIN_TOKEN, writeKey: WRITE_KEY }, env);

// ---------- API helpers ----------
async function api<T = any>(base: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

async function ingest(base: string, batch: Record<string, unknown>[]): Promise<void> {
  for (let i = 0; i < batch.length; i += 1000) {
    const res = await fetch(`${base}/v1/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${WRITE_KEY}` },
      body: JSON.stringify({ batch: batch.slice(i, i + 1000) }),
    });
    expect(res.status, await res.text()).toBe(200);
  }
}

async function membersOf(base: string, cohortId: string): Promise<Set<string>> {
  const res = await fetch(`${base}/v1/cohorts/${cohortId}/members`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}`, accept: 'text/csv' } });
  expect(res.status).toBe(200);
  const lines = (await res.text()).split(/\r?\n/).filter(Boolean);
  expect(lines[0]).toBe('user_id');
  return new Set(lines.slice(1));
}

interface Run {
  id: string;
  status: string;
  full: boolean;
  trigger: string;
  added: number;
  removed: number;
  failed: number;
  errors: { message: string }[];
}

/** Polls (generously: the machine may be busy) until `ok` holds. */
async function waitFor<T>(what: string, fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 240_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(v).slice(0, 2000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const runsOf = async (base: string, syncId: string) => {
  const r = await api<Run[]>(base, 'GET', `/v1/syncs/${syncId}/runs`);
  expect(r.status).toBe(200);
  return r.body;
};

const sortedEq = (a: Iterable<string>, b: Iterable<string>) => {
  const x = [...a].sort();
  const y = [...b].sort();
  return x.length === y.length && x.every((v, i) => v === y[i]);
};

// ---------- the test ----------
const dataDir = mkdtempSync(join(tmpdir(), 'kohort-sync-crash-'));
const receiver = new SlowListReceiver(API_KEY);
afterAll(async () => {
  killAllServers();
  await receiver.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('syncs survive kill -9', () => {
  it('a run killed mid-way resumes: the list equals the cohort, only in-flight batches re-sent; then a delta sends removals', { timeout: 900_000 }, async () => {
    await receiver.start();
    // The first process runs no scheduler, so the only run is the one this test starts.
    let server = await startServer(dataDir, { KOHORT_SCHEDULER: 'off' });

    // Everyone downloaded the app; "churned" users leave the cohort later.
    await ingest(
      server.base,
      Array.from({ length: USERS }, (_, i) => ({ type: 'track', userId: uid(i), event: 'app_download', messageId: `dl-${i}` })),
    );
    const definition = {
      match: 'all',
      rules: [
        { type: 'event', event: 'app_download' },
        { type: 'event', event: 'churned', negate: true },
      ],
    };
    const cohort = await api(server.base, 'POST', '/v1/cohorts', { name: 'Active app users', definition });
    expect(cohort.status, JSON.stringify(cohort.body)).toBe(201);
    const cohortId: string = cohort.body.id;
    const computed = await waitFor('cohort computed', () => api(server.base, 'GET', `/v1/cohorts/${cohortId}`), (r) => r.body.computedAt !== null && r.body.calculation.state === 'idle');
    expect(computed.body.size).toBe(USERS);
    const members1 = await membersOf(server.base, cohortId);
    expect(members1.size).toBe(USERS);

    const dest = await api(server.base, 'POST', '/v1/destinations', { name: 'Slow list', type: 'amplitude_list', config: { baseUrl: receiver.url, apiKey: API_KEY } });
    expect(dest.status, JSON.stringify(dest.body)).toBe(201);
    const sync = await api(server.base, 'POST', '/v1/syncs', { cohortId, destinationId: dest.body.id, frequency: 'once', batchSize: BATCH_SIZE });
    expect(sync.status, JSON.stringify(sync.body)).toBe(201);
    const syncId: string = sync.body.id;

    // Kill the moment the KILL_AT_REQUEST-th batch arrives: earlier batches are
    // answered (most committed), up to CONCURRENCY are in flight.
    const killed = new Promise<void>((resolve) => {
      receiver.onArrival = (n) => {
        if (n !== KILL_AT_REQUEST) return;
        server.proc.kill('SIGKILL');
        resolve();
      };
    });
    const first = await api<Run>(server.base, 'POST', `/v1/syncs/${syncId}/run`);
    expect(first.status, JSON.stringify(first.body)).toBe(202);
    expect(first.body).toMatchObject({ status: 'running', full: true });
    await killed;
    expect((await server.exited).signal).toBe('SIGKILL');
    receiver.onArrival = () => {};
    // Let the in-flight requests land on the receiver (applied, answered to a dead socket).
    await waitFor('in-flight requests applied', async () => receiver.pending, (n) => n === 0);
    const beforeRestart = receiver.requests.length;
    const onListAtKill = receiver.list.size;
    console.log(`killed at request ${KILL_AT_REQUEST}: ${beforeRestart} requests applied, ${onListAtKill} of ${USERS} users on the list`);
    expect(receiver.listsCreated).toBe(1);
    expect(onListAtKill).toBeGreaterThanOrEqual((KILL_AT_REQUEST - 1) * BATCH_SIZE);
    expect(onListAtKill).toBeLessThan(USERS); // killed before the end

    // Restart with the scheduler: the `once` sync never finished its slot, so it is
    // still due and resumes on its own; the interrupted run is recorded as failed.
    server = await startServer(dataDir);
    const afterRestart = await waitFor('the resumed run to finish', () => runsOf(server.base, syncId), (rs) => rs.length >= 2 && rs[0].status !== 'running');
    expect(afterRestart).toHaveLength(2);
    const [resumed, interrupted] = afterRestart;
    expect(interrupted.id).toBe(first.body.id);
    expect(interrupted.status).toBe('failed');
    expect(interrupted.errors.map((e) => e.message).join('\n')).toMatch(/interrupted/);
    expect(resumed).toMatchObject({ trigger: 'schedule', status: 'succeeded', full: true, removed: 0, failed: 0 });
    expect(receiver.listsCreated).toBe(1); // the list id survived the crash

    // No user lost, none extra.
    expect(sortedEq(receiver.list, members1), `list (${receiver.list.size}) equals the cohort (${members1.size})`).toBe(true);
    // Re-sent: only what was in flight (accepted here, not yet committed there).
    const resumedRequests = receiver.requests.slice(beforeRestart);
    // In-flight batches are re-sent first with the Idempotency-Key of their first attempt
    // (recorded before it was sent), so this receiver, which honours the key, drops them.
    const again = resumedRequests.filter((r) => r.duplicateKey);
    const resent = again.reduce((n, r) => n + r.userIds.length, 0);
    const reapplied = resumedRequests.reduce((n, r) => n + r.redundant, 0);
    console.log(`resumed run: ${resumedRequests.length} requests, ${resumed.added} users added, ${again.length} batches (${resent} users) re-sent with their first key`);
    expect(again.length).toBeGreaterThan(0); // the batch that triggered the kill was accepted here, never acknowledged there
    expect(again.length).toBeLessThanOrEqual(CONCURRENCY);
    expect(reapplied).toBe(0); // nothing applied twice: no in-flight batch came back under a new key
    expect(resumed.added).toBe(USERS - onListAtKill + resent);
    // Over both runs, each user was sent at most twice, and at most the in-flight batches' users twice.
    const times = new Map<string, number>();
    for (const r of receiver.requests) for (const u of r.userIds) times.set(u, (times.get(u) ?? 0) + 1);
    expect(Math.max(...times.values())).toBeLessThanOrEqual(2);
    expect([...times.values()].filter((t) => t === 2).length).toBeLessThanOrEqual(CONCURRENCY * BATCH_SIZE);
    expect(receiver.requests.every((r) => r.op === 'add' && r.userIds.length <= BATCH_SIZE)).toBe(true);

    // The sync's slot is used up; a manual run now sends nothing.
    // The scheduler clears the slot just after the run is recorded as finished.
    const sync2 = await waitFor('the once slot cleared', () => api(server.base, 'GET', `/v1/syncs/${syncId}`), (r) => r.body.nextRunAt === null, 30_000);
    expect(sync2.body).toMatchObject({ state: 'idle', nextRunAt: null });
    const requestsBeforeNoop = receiver.requests.length;
    const noop = await api<Run>(server.base, 'POST', `/v1/syncs/${syncId}/run`);
    expect(noop.status).toBe(202);
    const [noopDone] = await waitFor('the no-op run', () => runsOf(server.base, syncId), (rs) => rs[0].id === noop.body.id && rs[0].status !== 'running');
    expect(noopDone).toMatchObject({ status: 'succeeded', full: false, added: 0, removed: 0 });
    expect(receiver.requests.length).toBe(requestsBeforeNoop);

    // Membership changes: some users churn (leave), new users download (enter).
    const leavers = Array.from({ length: LEAVERS }, (_, k) => uid(k * 11));
    const newcomers = Array.from({ length: NEWCOMERS }, (_, k) => uid(USERS + k));
    await ingest(server.base, [
      ...leavers.map((u) => ({ type: 'track', userId: u, event: 'churned', messageId: `churn-${u}` })),
      ...newcomers.map((u) => ({ type: 'track', userId: u, event: 'app_download', messageId: `dl-${u}` })),
    ]);
    const refreshed = await api(server.base, 'POST', `/v1/cohorts/${cohortId}/refresh`);
    expect(refreshed.status).toBe(200);
    const expected = new Set([...members1, ...newcomers]);
    for (const u of leavers) expected.delete(u);
    const members2 = await membersOf(server.base, cohortId);
    expect(sortedEq(members2, expected)).toBe(true);

    const requestsBeforeDelta = receiver.requests.length;
    const delta = await api<Run>(server.base, 'POST', `/v1/syncs/${syncId}/run`);
    expect(delta.status).toBe(202);
    const [deltaDone] = await waitFor('the delta run', () => runsOf(server.base, syncId), (rs) => rs[0].id === delta.body.id && rs[0].status !== 'running');
    expect(deltaDone).toMatchObject({ status: 'succeeded', full: false, added: NEWCOMERS, removed: LEAVERS, failed: 0 });
    expect(sortedEq(receiver.list, members2), `list (${receiver.list.size}) equals the cohort (${members2.size})`).toBe(true);
    const deltaRequests = receiver.requests.slice(requestsBeforeDelta);
    expect(deltaRequests.filter((r) => r.op === 'remove').flatMap((r) => r.userIds).sort()).toEqual([...leavers].sort());
    expect(deltaRequests.filter((r) => r.op === 'add').flatMap((r) => r.userIds).sort()).toEqual([...newcomers].sort());
    expect(deltaRequests.every((r) => r.redundant === 0 && !r.duplicateKey)).toBe(true);

    server.proc.kill('SIGTERM');
    expect((await server.exited).code, server.tail.join('\n')).toBe(0);
  });
});
