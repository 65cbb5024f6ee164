import { expect, it } from 'vitest';
import { createKohort } from '../main.js';

/** One logger everywhere: the sync engine's lines reach the process log, tagged with their component. */
it('sync runs are logged by the sync runner through the process logger', async () => {
  const lines: Record<string, unknown>[] = [];
  const ADMIN = 'kha_logger_wiring';
  const k = await createKohort({
    dbPath: ':memory:', adminToken: ADMIN, writeKey: `${ADMIN}_w`, background: false, schedulers: false, logger: 'info',
    logStream: { write: (l: string) => void lines.push(JSON.parse(l)) },
  });
  try {
    const auth = { authorization: `Bearer ${ADMIN}` };
    const c = (await k.app.inject({ method: 'POST', url: '/v1/cohorts', headers: auth, payload: { name: 'Empty', kind: 'static' } })).json();
    const d = (await k.app.inject({ method: 'POST', url: '/v1/destinations', headers: auth, payload: { name: 'H', type: 'webhook', config: { url: 'http://127.0.0.1:9/h' } } })).json();
    const s = (await k.app.inject({ method: 'POST', url: '/v1/syncs', headers: auth, payload: { cohortId: c.id, destinationId: d.id, frequency: 'once' } })).json();
    expect((await k.app.inject({ method: 'POST', url: `/v1/syncs/${s.id}/run`, headers: auth })).statusCode).toBe(202);
    await expect.poll(() => lines.find((l) => l.component === 'sync-runner' && l.msg === 'sync run finished')).toMatchObject({ syncId: s.id, level: 30 });
    // Request lines go through the same logger, without credentials.
    expect(lines.some((l) => l.req !== undefined)).toBe(true);
    expect(JSON.stringify(lines)).not.toContain(ADMIN);
  } finally {
    await k.close();
  }
});
