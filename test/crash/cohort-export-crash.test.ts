import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killAllServers, startServerProcess, type ServerProcess } from '../support/server-process.js';

/**
 * api.md: "An export survives a restart of the server or is reported failed,
 * never lost silently." A real server answers several export requests (202)
 * and is SIGKILLed right after the last answer, wherever its worker is. After
 * a restart on the same data dir every request id is known and ends
 * COMPLETED (with the right file) or FAILED with an error; none stays in
 * progress.
 */
const ADMIN_TOKEN = 'export-crash-admin-token-0123';
const WRITE_KEY = 'export-crash-write-key-0123';
const USERS = 1500;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kohort-export-crash-'));
});
afterAll(() => {
  killAllServers();
  rmSync(dir, { recursive: true, force: true });
});

const start = () => startServerProcess(dir, { adminToken: ADMIN_TOKEN, writeKey: WRITE_KEY });
const basic = { authorization: `Basic ${Buffer.from(`${ADMIN_TOKEN}:`).toString('base64')}` };

async function call(s: ServerProcess, method: string, path: string, body?: unknown, token = ADMIN_TOKEN) {
  const r = await fetch(`${s.base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  if (r.status >= 400) throw new Error(`${method} ${path} -> ${r.status}: ${text}`);
  return text ? JSON.parse(text) : undefined;
}

describe('cohort exports across a kill -9', () => {
  it('every answered export request completes or is reported failed after the restart', async () => {
    let s = await start();
    const ids = Array.from({ length: USERS }, (_, i) => `user-${String(i).padStart(5, '0')}`);
    await call(s, 'POST', '/v1/batch', { batch: ids.map((userId, i) => ({ type: 'identify', userId, traits: { n: i } })) }, WRITE_KEY);
    const cohort = await call(s, 'POST', '/v1/cohorts', { name: 'Everyone', kind: 'static' });
    await call(s, 'POST', `/v1/cohorts/${cohort.id}/members`, { userIds: ids });

    const requests: string[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await fetch(`${s.base}/api/5/cohorts/request/${cohort.id}?props=${i % 2}`, { headers: basic });
      expect(r.status).toBe(202);
      requests.push((await r.json()).request_id);
    }
    s.proc.kill('SIGKILL');
    await s.exited;

    s = await start();
    for (const [i, id] of requests.entries()) {
      let status: { async_status: string; error?: string } | undefined;
      await expect
        .poll(async () => {
          const r = await fetch(`${s.base}/api/5/cohorts/request-status/${id}`, { headers: basic });
          expect([200, 202], await r.clone().text()).toContain(r.status);
          status = await r.json();
          return status!.async_status;
        }, { timeout: 60_000 })
        .not.toBe('JOB INPROGRESS');
      if (status!.async_status === 'JOB FAILED') {
        expect(status!.error).toEqual(expect.any(String));
        continue;
      }
      expect(status!.async_status).toBe('JOB COMPLETED');
      const file = await fetch(`${s.base}/api/5/cohorts/request/${id}/file`, { headers: basic });
      expect(file.status).toBe(200);
      const rows = parse(await file.text()) as string[][];
      expect(rows[0]).toEqual(i % 2 ? ['user_id', 'n'] : ['user_id']);
      expect(rows.slice(1).map((r) => r[0])).toEqual(ids);
      if (i % 2) expect(rows[USERS]).toEqual([ids[USERS - 1], String(USERS - 1)]);
    }
    s.proc.kill('SIGKILL');
  });
});
