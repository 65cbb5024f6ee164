import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MockReceiver } from '../../src/destinations/test-support/mock-receiver.js';
import { killAllServers, startServerProcess, type ServerProcess } from '../support/server-process.js';

/**
 * Crash test of the step-action queue (docs/TEAMS.md: "exactly one execution
 * per (card, step reached) even if ... the process restarts mid-way"): a real
 * server moves a card into a webhook step; the receiver holds the delivery
 * open and the server is SIGKILLed mid-attempt. After a restart on the same
 * data dir the same execution (same webhook-id) is delivered again and ends
 * succeeded, with the interrupted attempt in its log, and no second execution
 * exists. No timing assertions.
 */
const ADMIN_TOKEN = 'workflow-crash-admin-token-0123';
const WRITE_KEY = 'workflow-crash-write-key-0123';

let dir: string;
let receiver: MockReceiver;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kohort-wf-crash-'));
  receiver = await new MockReceiver().start();
});
afterAll(async () => {
  killAllServers();
  await receiver.close();
  rmSync(dir, { recursive: true, force: true });
});

// The receiver listens on 127.0.0.1, which step webhooks reach only when allowed.
const start = () => startServerProcess(dir, { adminToken: ADMIN_TOKEN, writeKey: WRITE_KEY }, { KOHORT_ALLOW_PRIVATE_URLS: '127.0.0.1' });

async function call(s: ServerProcess, method: string, path: string, body?: unknown, token = ADMIN_TOKEN): Promise<any> {
  const r = await fetch(`${s.base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  if (r.status >= 400) throw new Error(`${method} ${path} -> ${r.status}: ${text}`);
  return text ? JSON.parse(text) : undefined;
}

async function until<T>(what: string, fn: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
  for (let i = 0; i < 1200; i++) {
    const v = await fn();
    if (ok(v)) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('step actions survive kill -9', () => {
  it('an attempt cut short by a crash is run again after the restart, as the same execution', async () => {
    let s = await start();
    await call(s, 'POST', '/v1/identify', { userId: 'lead-1', traits: { plan: 'pro' } }, WRITE_KEY);
    const cohort = (await call(s, 'POST', '/v1/cohorts', { name: 'Crash leads', kind: 'static' })).id;
    await call(s, 'POST', `/v1/cohorts/${cohort}/members`, { userIds: ['lead-1'] });
    const [, hook] = await call(s, 'PUT', `/v1/cohorts/${cohort}/steps`, {
      steps: [{ name: 'New' }, { name: 'Notify', action: { type: 'webhook', url: `${receiver.url}/notify` } }],
    });
    receiver.inject({ kind: 'hang' });
    await call(s, 'POST', `/v1/cohorts/${cohort}/cards/lead-1/move`, { stepId: hook.id });
    await until('the first delivery to arrive', async () => receiver.requests.length, (n) => n === 1);
    s.proc.kill('SIGKILL');
    await s.exited;

    s = await start();
    const done = await until(
      'the execution to succeed after the restart',
      async () => (await call(s, 'GET', `/v1/cohorts/${cohort}/actions`)).items,
      (items: any[]) => items[0]?.status === 'succeeded',
    );
    expect(done).toHaveLength(1);
    expect(done[0]).toMatchObject({ userId: 'lead-1', stepId: hook.id, attempts: 2 });
    expect(done[0].attemptLog[0].error).toBe('interrupted by a restart');
    expect(receiver.requests).toHaveLength(2);
    expect(receiver.requests.map((r) => r.headers['webhook-id'])).toEqual([done[0].id, done[0].id]);
    // The card stayed where it was moved.
    const board = await call(s, 'GET', `/v1/cohorts/${cohort}/board`);
    expect(board.items).toEqual([expect.objectContaining({ userId: 'lead-1', stepId: hook.id })]);
    s.proc.kill('SIGTERM');
    await s.exited;
  });
});
