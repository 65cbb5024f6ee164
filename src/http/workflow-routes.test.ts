import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MockReceiver, type RecordedRequest } from '../destinations/test-support/mock-receiver.js';
import { signStandardWebhook } from '../destinations/webhook.js';
import { createKohort, type Kohort } from '../main.js';
import { rawDuckDBFile } from '../storage/duckdb/test-support/raw-duckdb.js';
import { FakeClock } from '../services/syncs/test-support/fake-clock.js';

const ADMIN = 'kha_workflow_routes_test';
const WRITE = 'khw_workflow_routes_test';
let k: Kohort;
let receiver: MockReceiver;
let clock: FakeClock;

async function api(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: unknown) {
  const r = await k.app.inject({ method, url, payload: payload as never, headers: { authorization: `Bearer ${ADMIN}` } });
  return { status: r.statusCode, body: r.body ? r.json() : undefined };
}
const ingest = (batch: unknown[]) => k.app.inject({ method: 'POST', url: '/v1/batch', payload: { batch }, headers: { authorization: `Bearer ${WRITE}` } });
const buy = (userId: string) => ({ type: 'track', userId, event: 'purchase' });

async function staticCohort(name: string, userIds: string[] = []) {
  const c = (await api('POST', '/v1/cohorts', { name, kind: 'static' })).body;
  if (userIds.length) expect((await api('POST', `/v1/cohorts/${c.id}/members`, { userIds })).status).toBe(200);
  return c.id as string;
}
const hookAt = (path: string) => ({ type: 'webhook', url: `${receiver.url}${path}` });
const hits = (path: string) => receiver.requests.filter((r) => r.path === path);
const actions = async (cohortId: string, query = '') => (await api('GET', `/v1/cohorts/${cohortId}/actions${query}`)).body.items as any[];
const board = async (cohortId: string, query = '') => (await api('GET', `/v1/cohorts/${cohortId}/board${query}`)).body;

/** Checks the Standard Webhooks signature of a received request. */
function verify(req: RecordedRequest, secret: string) {
  const id = String(req.headers['webhook-id']);
  const ts = Number(req.headers['webhook-timestamp']);
  expect(req.headers['webhook-signature']).toBe(signStandardWebhook(secret, id, ts, req.body));
}

beforeAll(async () => {
  receiver = await new MockReceiver().start();
  clock = new FakeClock(Date.now());
  k = await createKohort({ dbPath: ':memory:', adminToken: ADMIN, writeKey: WRITE, background: false, schedulers: false, workflows: { clock, random: () => 0.5 },
    // The test receivers listen on 127.0.0.1, which step webhooks may reach only when allowed.
    allowPrivateUrls: '127.0.0.1' });
  expect((await ingest(['u1', 'u2', 'u3', 'u4', 'u5'].map((u) => ({ type: 'track', userId: u, event: 'signup' })))).statusCode).toBe(200);
});
afterAll(async () => {
  await k.close();
  await receiver.close();
});
beforeEach(() => {
  receiver.clearFaults();
  receiver.handler = () => ({ status: 200, body: {} });
});

describe('workflow steps', () => {
  it('saves an ordered list, shows a generated webhook secret once, then masks it and keeps it on round-trip', async () => {
    const c = await staticCohort('Steps', ['u1']);
    const put = await api('PUT', `/v1/cohorts/${c}/steps`, { steps: [{ name: 'New', action: hookAt('/steps') }, { name: 'Called' }] });
    expect(put.status).toBe(200);
    expect(put.body.map((s: any) => [s.name, s.position, s.cardCount])).toEqual([['New', 0, 1], ['Called', 1, 0]]);
    const secret = put.body[0].action.secret;
    expect(secret).toMatch(/^whsec_/);
    const got = (await api('GET', `/v1/cohorts/${c}/steps`)).body;
    expect(got[0].action).toEqual({ type: 'webhook', url: `${receiver.url}/steps`, secret: '••••' });
    expect(JSON.stringify(got)).not.toContain(secret);
    // Round-trip what GET returned (mask included), reordered: ids and the secret stay.
    const again = await api('PUT', `/v1/cohorts/${c}/steps`, { steps: [got[1], got[0]].map(({ id, name, action }: any) => ({ id, name, action })) });
    expect(again.status).toBe(200);
    expect(again.body.map((s: any) => s.id)).toEqual([got[1].id, got[0].id]);
    expect(again.body[1].action.secret).toBe('••••');
    // The kept secret still signs: move u1 out of the webhook step and back, and check the delivery.
    expect((await api('POST', `/v1/cohorts/${c}/cards/u1/move`, { stepId: got[1].id })).status).toBe(200);
    expect((await api('POST', `/v1/cohorts/${c}/cards/u1/move`, { stepId: got[0].id })).status).toBe(200);
    await k.workflows.runner.drain();
    expect(hits('/steps')).toHaveLength(1);
    verify(hits('/steps')[0], secret);
  });

  it('cohort answers carry steps with card counts when the cohort has steps', async () => {
    const c = await staticCohort('Summarized', ['u1', 'u2']);
    expect((await api('GET', `/v1/cohorts/${c}`)).body.steps).toBeUndefined();
    const [a, b] = (await api('PUT', `/v1/cohorts/${c}/steps`, { steps: [{ name: 'A' }, { name: 'B' }] })).body;
    await api('POST', `/v1/cohorts/${c}/cards/u2/move`, { stepId: b.id });
    const want = [{ id: a.id, name: 'A', cardCount: 1 }, { id: b.id, name: 'B', cardCount: 1 }];
    expect((await api('GET', `/v1/cohorts/${c}`)).body.steps).toEqual(want);
    const items = (await api('GET', '/v1/cohorts?limit=200')).body.items;
    expect(items.find((x: any) => x.id === c).steps).toEqual(want);
    // Items decorated together (one query) each get their own steps.
    const withSteps = items.filter((x: any) => x.steps);
    expect(withSteps.length).toBeGreaterThan(1);
    for (const x of withSteps) expect(x.steps.map((s: any) => s.id)).toEqual((await api('GET', `/v1/cohorts/${x.id}/steps`)).body.map((s: any) => s.id));
  });

  it('rejects bad step lists with 400 naming the field', async () => {
    const c = await staticCohort('Bad steps');
    const dynamic = (await api('POST', '/v1/cohorts', { name: 'Dyn', definition: { match: 'all', rules: [{ type: 'event', event: 'purchase' }] } })).body.id;
    const cases: [unknown, string][] = [
      [{ steps: Array.from({ length: 21 }, (_, i) => ({ name: `s${i}` })) }, 'steps'],
      [{ steps: [{ name: 'A' }, { name: 'a' }] }, 'steps.1.name'],
      [{ steps: [{ name: '' }] }, 'steps.0.name'],
      [{ steps: [{ name: 'x'.repeat(81) }] }, 'steps.0.name'],
      [{ steps: [{ id: 'st_unknown', name: 'A' }] }, 'steps.0.id'],
      [{ steps: [{ name: 'A', action: { type: 'webhook', url: 'ftp://x' } }] }, 'steps.0.action.url'],
      [{ steps: [{ name: 'A', action: { type: 'add_to_cohort', cohortId: dynamic } }] }, 'steps.0.action.cohortId'],
      [{ steps: [{ name: 'A', action: { type: 'add_to_cohort', cohortId: 'nope' } }] }, 'steps.0.action.cohortId'],
      [{ steps: [{ name: 'A', action: { type: 'run_sync', syncId: 'nope' } }] }, 'steps.0.action.syncId'],
      [{ steps: [{ name: 'A', action: { type: 'teleport' } }] }, 'steps.0.action.type'],
      [{ steps: [{ name: 'A', action: { type: 'set_property', key: 'k', value: 'x'.repeat(9000) } }] }, 'steps.0.action.value'],
      [{ steps: [{ name: 'A', action: { type: 'set_property', key: '', value: 1 } }] }, 'steps.0.action.key'],
      [{ steps: [{ name: 'A', action: { type: 'webhook', url: 'http://x.test', secret: 'plain' } }] }, 'steps.0.action.secret'],
      [{ stages: [] }, '(body)'],
    ];
    for (const [body, field] of cases) {
      const r = await api('PUT', `/v1/cohorts/${c}/steps`, body);
      expect(r.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(r.body.error.details.map((d: any) => d.field), JSON.stringify(r.body)).toContain(field);
    }
    expect((await api('GET', `/v1/cohorts/${c}/steps`)).body).toEqual([]);
    expect((await api('PUT', '/v1/cohorts/nope/steps', { steps: [] })).status).toBe(404);
  });
});

describe('cards follow membership', () => {
  it('a member entering is placed in the first step and its action fires once; leaving removes the card', async () => {
    const c = await staticCohort('Leads', ['u1']);
    const steps = (await api('PUT', `/v1/cohorts/${c}/steps`, { steps: [{ name: 'New', action: hookAt('/enter') }, { name: 'Won' }] })).body;
    // Members already there when the board is made start in the first step without firing.
    expect((await board(c)).items).toEqual([{ userId: 'u1', stepId: steps[0].id, movedAt: expect.any(String), movedBy: null }]);
    expect(await actions(c)).toEqual([]);

    await api('POST', `/v1/cohorts/${c}/members`, { userIds: ['u2'] });
    expect((await board(c)).items.map((i: any) => [i.userId, i.stepId])).toEqual([['u1', steps[0].id], ['u2', steps[0].id]]);
    await api('POST', `/v1/cohorts/${c}/refresh`); // a computation without change enqueues nothing more
    await k.workflows.runner.drain();
    expect(hits('/enter').map((r) => r.json)).toEqual([
      expect.objectContaining({ type: 'workflow.step_reached', cohortId: c, cohortName: 'Leads', stepId: steps[0].id, stepName: 'New', userId: 'u2', movedBy: null }),
    ]);
    const [exec] = await actions(c);
    expect(exec).toMatchObject({ userId: 'u2', stepId: steps[0].id, type: 'webhook', status: 'succeeded', attempts: 1, lastError: null });
    expect(hits('/enter')[0].headers['webhook-id']).toBe(exec.id);

    await api('DELETE', `/v1/cohorts/${c}/members`, { userIds: ['u2'] });
    expect((await board(c)).items.map((i: any) => i.userId)).toEqual(['u1']);
    // Coming back starts at the first step again, and fires again.
    await api('POST', `/v1/cohorts/${c}/members`, { userIds: ['u2'] });
    await k.workflows.runner.drain();
    expect(hits('/enter')).toHaveLength(2);
  });

  it('a dynamic cohort: a new member from a recomputation enters the board', async () => {
    const c = (await api('POST', '/v1/cohorts', { name: 'Buyers', definition: { match: 'all', rules: [{ type: 'event', event: 'purchase' }] } })).body.id;
    const steps = (await api('PUT', `/v1/cohorts/${c}/steps`, { steps: [{ name: 'First', action: { type: 'set_property', key: 'stage', value: 'buyer' } }] })).body;
    expect((await board(c)).items).toEqual([]);
    await ingest([buy('u3')]);
    expect((await api('POST', `/v1/cohorts/${c}/refresh`)).body.size).toBe(1);
    expect((await board(c)).items.map((i: any) => [i.userId, i.stepId])).toEqual([['u3', steps[0].id]]);
    expect(await actions(c)).toHaveLength(1);
  });
});

describe('moving cards', () => {
  it('fires the step action exactly once, even when the move is repeated or sent concurrently', async () => {
    const c = await staticCohort('Pipeline', ['u1', 'u2']);
    const [first, second] = (await api('PUT', `/v1/cohorts/${c}/steps`, { steps: [{ name: 'In' }, { name: 'Hooked', action: hookAt('/move') }] })).body;
    const moves = await Promise.all(Array.from({ length: 5 }, () => api('POST', `/v1/cohorts/${c}/cards/u1/move`, { stepId: second.id })));
    expect(moves.map((m) => m.status)).toEqual([200, 200, 200, 200, 200]);
    expect(moves[0].body).toEqual({ userId: 'u1', stepId: second.id, movedAt: expect.any(String), movedBy: 'admin_token' });
    expect((await api('POST', `/v1/cohorts/${c}/cards/u1/move`, { stepId: second.id })).status).toBe(200);
    expect(await actions(c)).toHaveLength(1);
    await k.workflows.runner.drain();
    expect(hits('/move').map((r) => r.json.userId)).toEqual(['u1']);
    expect((await board(c, `?stepId=${second.id}`)).items.map((i: any) => i.userId)).toEqual(['u1']);
    expect((await board(c, `?stepId=${first.id}`)).items.map((i: any) => i.userId)).toEqual(['u2']);
    // The audit log names the move once.
    const audit = (await api('GET', `/v1/audit?action=card.moved&resourceId=${c}`)).body.items;
    expect(audit).toHaveLength(1);
    expect(audit[0].summary).toContain('"u1"');
  });

  it('answers 400 for an unknown step, 404 for a user without a card or an unknown cohort', async () => {
    const c = await staticCohort('Moves', ['u1']);
    await api('PUT', `/v1/cohorts/${c}/steps`, { steps: [{ name: 'A' }] });
    const bad = await api('POST', `/v1/cohorts/${c}/cards/u1/move`, { stepId: 'nope' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].field).toBe('stepId');
    expect((await api('POST', `/v1/cohorts/${c}/cards/u1/move`, {})).status).toBe(400);
    expect((await api('POST', `/v1/cohorts/${c}/cards/u5/move`, { stepId: 'x' })).status).toBe(400);
    const steps = (await api('GET', `/v1/cohorts/${c}/steps`)).body;
    expect((await api('POST', `/v1/cohorts/${c}/cards/u5/move`, { stepId: steps[0].id })).status).toBe(404);
    expect((await api('POST', '/v1/cohorts/nope/cards/u1/move', { stepId: steps[0].id })).status).toBe(404);
  });

  it('pages the board and searches it', async () => {
    const c = await staticCohort('Paged', ['u1', 'u2', 'u3', 'u4']);
    await api('PUT', `/v1/cohorts/${c}/steps`, { steps: [{ name: 'A' }] });
    const p1 = await board(c, '?limit=3');
    expect(p1.items.map((i: any) => i.userId)).toEqual(['u1', 'u2', 'u3']);
    expect(p1.steps[0]).toMatchObject({ name: 'A', cardCount: 4 });
    const p2 = await board(c, `?limit=3&cursor=${p1.nextCursor}`);
    expect(p2).toMatchObject({ items: [{ userId: 'u4' }], nextCursor: null });
    expect((await board(c, '?q=U2')).items.map((i: any) => i.userId)).toEqual(['u2']);
    expect((await api('GET', `/v1/cohorts/${c}/board?limit=0`)).status).toBe(400);
  });
});

describe('failing webhooks', () => {
  async function hookedCard(name: string, path: string) {
    const c = await staticCohort(name, ['u1']);
    const [, hook] = (await api('PUT', `/v1/cohorts/${c}/steps`, { steps: [{ name: 'In' }, { name: 'Hook', action: hookAt(path) }] })).body;
    return { c, hook };
  }

  it('retries a 500 on the backoff and logs every attempt', async () => {
    const { c, hook } = await hookedCard('Flaky', '/flaky');
    receiver.inject({ kind: 'status', status: 500, body: { error: 'down' } }, { times: 2 });
    const sleeps = clock.sleeps.length;
    await api('POST', `/v1/cohorts/${c}/cards/u1/move`, { stepId: hook.id });
    await k.workflows.runner.drain();
    expect(hits('/flaky')).toHaveLength(3);
    expect(new Set(hits('/flaky').map((r) => r.headers['webhook-id'])).size).toBe(1);
    const [e] = await actions(c);
    expect(e).toMatchObject({ status: 'succeeded', attempts: 3, lastError: null });
    expect(e.attemptLog.map((a: any) => a.error)).toEqual([expect.stringContaining('HTTP 500'), expect.stringContaining('HTTP 500'), null]);
    // Jitter 0.5 makes the backoff exact: 1 s, then 2 s.
    expect(clock.sleeps.slice(sleeps)).toEqual([1000, 2000]);
  });

  it('honours Retry-After on a 429', async () => {
    const { c, hook } = await hookedCard('Limited', '/limited');
    receiver.inject({ kind: 'status', status: 429, headers: { 'retry-after': '7' } });
    const sleeps = clock.sleeps.length;
    await api('POST', `/v1/cohorts/${c}/cards/u1/move`, { stepId: hook.id });
    await k.workflows.runner.drain();
    expect(clock.sleeps.slice(sleeps)).toEqual([7000]);
    expect((await actions(c))[0]).toMatchObject({ status: 'succeeded', attempts: 2 });
  });

  it('a permanent 400 ends failed after one attempt, and the card stays moved', async () => {
    const { c, hook } = await hookedCard('Refused', '/refused');
    receiver.inject({ kind: 'status', status: 400, body: { error: 'bad payload' } });
    expect((await api('POST', `/v1/cohorts/${c}/cards/u1/move`, { stepId: hook.id })).status).toBe(200);
    await k.workflows.runner.drain();
    const [e] = await actions(c);
    expect(e).toMatchObject({ status: 'failed', attempts: 1, lastError: expect.stringContaining('HTTP 400'), finishedAt: expect.any(String) });
    expect((await board(c)).items[0].stepId).toBe(hook.id);
    expect((await actions(c, `?userId=u1&stepId=${hook.id}`))).toHaveLength(1);
    expect((await actions(c, '?userId=u9'))).toHaveLength(0);
  });

  it('gives up after 8 retries', async () => {
    const { c, hook } = await hookedCard('Dead', '/dead');
    receiver.inject({ kind: 'status', status: 503 }, { times: 100 });
    await api('POST', `/v1/cohorts/${c}/cards/u1/move`, { stepId: hook.id });
    await k.workflows.runner.drain();
    expect(hits('/dead')).toHaveLength(9);
    expect((await actions(c))[0]).toMatchObject({ status: 'failed', attempts: 9, lastError: expect.stringContaining('gave up after 9 attempts') });
  });
});

describe('step actions do their thing', () => {
  it('set_property records a trait visible on the user', async () => {
    const c = await staticCohort('Props', ['u4']);
    const [, set] = (await api('PUT', `/v1/cohorts/${c}/steps`, { steps: [{ name: 'In' }, { name: 'Tag', action: { type: 'set_property', key: 'stage', value: { level: 2 } } }] })).body;
    await api('POST', `/v1/cohorts/${c}/cards/u4/move`, { stepId: set.id });
    await k.workflows.runner.drain();
    expect((await api('GET', '/v1/users/u4')).body.properties).toMatchObject({ stage: { level: 2 } });
    expect((await actions(c))[0]).toMatchObject({ type: 'set_property', status: 'succeeded' });
  });

  it('add_to_cohort adds the member to the static cohort', async () => {
    const target = await staticCohort('Target');
    const c = await staticCohort('Source', ['u5']);
    const [, add] = (await api('PUT', `/v1/cohorts/${c}/steps`, { steps: [{ name: 'In' }, { name: 'Promote', action: { type: 'add_to_cohort', cohortId: target } }] })).body;
    await api('POST', `/v1/cohorts/${c}/cards/u5/move`, { stepId: add.id });
    await k.workflows.runner.drain();
    expect((await api('GET', `/v1/cohorts/${target}/members`)).body.items).toEqual(['u5']);
    expect((await api('GET', `/v1/cohorts/${target}`)).body.size).toBe(1);
  });

  it('run_sync starts a run of the sync (and a run under way counts as success)', async () => {
    const c = await staticCohort('Synced', ['u1', 'u2']);
    const dest = (await api('POST', '/v1/destinations', { name: 'WF hook', type: 'webhook', config: { url: `${receiver.url}/sync` } })).body;
    const sync = (await api('POST', '/v1/syncs', { cohortId: c, destinationId: dest.id, frequency: 'daily' })).body;
    const [, run] = (await api('PUT', `/v1/cohorts/${c}/steps`, { steps: [{ name: 'In' }, { name: 'Push', action: { type: 'run_sync', syncId: sync.id } }] })).body;
    await api('POST', `/v1/cohorts/${c}/cards/u1/move`, { stepId: run.id });
    await api('POST', `/v1/cohorts/${c}/cards/u2/move`, { stepId: run.id });
    await k.workflows.runner.drain();
    const runs = (await api('GET', `/v1/syncs/${sync.id}/runs`)).body;
    expect(runs.length).toBeGreaterThanOrEqual(1);
    expect(runs[0].trigger).toBe('manual');
    expect((await actions(c)).map((e) => e.status)).toEqual(['succeeded', 'succeeded']);
  });
});

describe('deleting a cohort', () => {
  it('removes its steps, cards and executions', async () => {
    const c = await staticCohort('Doomed', ['u1']);
    const [, s] = (await api('PUT', `/v1/cohorts/${c}/steps`, { steps: [{ name: 'A' }, { name: 'B', action: { type: 'set_property', key: 'k', value: 1 } }] })).body;
    await api('POST', `/v1/cohorts/${c}/cards/u1/move`, { stepId: s.id });
    expect((await api('DELETE', `/v1/cohorts/${c}`)).status).toBe(204);
    const [n] = await rawDuckDBFile(k).reads.rows<{ n: bigint }>(
      `SELECT (SELECT count(*) FROM workflow_steps WHERE cohort_id = $1) + (SELECT count(*) FROM workflow_cards WHERE cohort_id = $1)
            + (SELECT count(*) FROM workflow_actions WHERE cohort_id = $1) AS n`,
      [c],
    );
    expect(Number(n.n)).toBe(0);
    expect((await api('GET', `/v1/cohorts/${c}/board`)).status).toBe(404);
  });
});
