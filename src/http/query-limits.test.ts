import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKohort, type Kohort } from '../main.js';

/**
 * Expensive reads run under a time limit and a concurrency cap (api.md,
 * Security rules): 503 `query_timeout` past the limit (the engine's query is
 * interrupted), 429 once the queue wait is over, and the server keeps
 * answering /healthz while heavy previews run.
 */
const ADMIN = 'kha_query_limits';
const auth = { authorization: `Bearer ${ADMIN}` };
// A five-step sequence with a regex over 50k events: about half a second of work.
const HEAVY = {
  match: 'all',
  rules: [{ type: 'sequence', steps: [{ event: 'a' }, { event: 'b', where: [{ property: 's', op: 'regex', value: '^x[0-9]*7$' }] }, { event: 'c' }, { event: 'a' }, { event: 'b' }] }],
};

// About four times HEAVY's work (HEAVY alone now takes under 100 ms on a quiet machine): well past a 100 ms limit.
const HEAVIER = { match: 'any', rules: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'].map((d) => ({ ...HEAVY.rules[0], steps: [...HEAVY.rules[0].steps, { event: 'c', where: [{ property: 's', op: 'regex', value: `^x[0-9]*${d}$` }] }, { event: 'a' }, { event: 'b', where: [{ property: 's', op: 'contains', value: d }] }, { event: 'c' }] })) };

async function load(k: Kohort): Promise<void> {
  const base = Date.parse('2026-11-01T00:00:00Z');
  for (let b = 0; b < 10; b++) {
    const items = Array.from({ length: 5000 }, (_, i) => {
      const n = b * 5000 + i;
      return { kind: 'track' as const, externalId: `u${n % 2000}`, event: ['a', 'b', 'c'][n % 3], ts: new Date(base + n * 1000), props: { v: n % 97, s: `x${n}` } };
    });
    await k.engine.events.write(items);
  }
}

const preview = (k: Kohort, definition: unknown = HEAVY) => k.app.inject({ method: 'POST', url: '/v1/cohorts/preview', headers: auth, payload: { definition } });

describe('query limits', () => {
  let k: Kohort;
  let url: string;
  beforeAll(async () => {
    k = await createKohort({ dbPath: ':memory:', adminToken: ADMIN, writeKey: `${ADMIN}_w`, background: false, schedulers: false, queryLimits: { concurrency: 2, queueWaitMs: 1_000 } });
    await load(k);
    await k.app.listen({ port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${(k.app.server.address() as { port: number }).port}`;
  }, 120_000);
  afterAll(() => k?.close());

  it('keeps /healthz answering within a second while 12 heavy previews run; beyond the cap they wait, then get a 429', { timeout: 120_000 }, async () => {
    const runs = Array.from({ length: 12 }, () => fetch(`${url}/v1/cohorts/preview`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ definition: HEAVY }) }));
    await expect.poll(() => k.queries.stats.running).toBe(2);
    const worst = { ms: 0 };
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      const h = await fetch(`${url}/healthz`);
      expect(h.status).toBe(200);
      worst.ms = Math.max(worst.ms, performance.now() - t);
    }
    const answers = await Promise.all(runs);
    const statuses = answers.map((r) => r.status);
    expect(worst.ms).toBeLessThan(1_000);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(2);
    expect(statuses.every((s) => s === 200 || s === 429)).toBe(true);
    const refused = answers.find((r) => r.status === 429);
    if (refused) {
      expect(refused.headers.get('retry-after')).toBe('1');
      expect((await refused.json()).error.code).toBe('too_many_queries');
    }
    expect(k.queries.stats).toEqual({ running: 0, waiting: 0 });
  });
});

describe('the time limit', () => {
  let k: Kohort;
  beforeAll(async () => {
    k = await createKohort({ dbPath: ':memory:', adminToken: ADMIN, writeKey: `${ADMIN}_w`, background: false, schedulers: false, queryLimits: { timeoutMs: 100, concurrency: 1 } });
    await load(k);
  }, 120_000);
  afterAll(() => k?.close());

  it('answers 503 query_timeout, interrupts the query, and the next query runs normally', { timeout: 60_000 }, async () => {
    const r = await preview(k, HEAVIER);
    expect(r.statusCode, r.body).toBe(503);
    expect(r.json().error).toMatchObject({ code: 'query_timeout', message: expect.stringContaining('KOHORT_QUERY_TIMEOUT_MS') });
    await expect.poll(() => k.queries.stats.running).toBe(0);
    const light = await preview(k, { match: 'all', rules: [{ type: 'event', event: 'zzz' }] });
    expect(light.statusCode, light.body).toBe(200);
    expect(light.json().size).toBe(0);
    // Contacts run under the same limits.
    expect((await k.app.inject({ method: 'GET', url: '/v1/contacts?limit=5', headers: auth })).statusCode).toBe(200);
  });

  it('stops a heavy diff and a heavy chart the same way: 503, the engine interrupted, the next query answers', { timeout: 60_000 }, async () => {
    const made = await k.app.inject({ method: 'POST', url: '/v1/cohorts', headers: auth, payload: { name: 'light', definition: { match: 'all', rules: [{ type: 'event', event: 'zzz' }] } } });
    expect(made.statusCode, made.body).toBe(201);
    const heavy = [
      () => k.app.inject({ method: 'POST', url: `/v1/cohorts/${made.json().id}/diff`, headers: auth, payload: { definition: HEAVIER } }),
      () => k.app.inject({
        method: 'POST', url: '/v1/analytics/segmentation', headers: auth,
        payload: { event: { event: 'a' }, measure: 'uniques', interval: 'day', from: '2026-10-01', to: '2026-12-01', segments: [{ definition: HEAVIER }] },
      }),
    ];
    for (const run of heavy) {
      const r = await run();
      expect(r.statusCode, r.body).toBe(503);
      expect(r.json().error.code).toBe('query_timeout');
      // The slot is held until the engine really stopped: it frees because the statement was interrupted.
      await expect.poll(() => k.queries.stats.running).toBe(0);
      const light = await preview(k, { match: 'all', rules: [{ type: 'event', event: 'zzz' }] });
      expect(light.statusCode, light.body).toBe(200);
    }
  });
});
