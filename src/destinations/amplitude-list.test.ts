import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAmplitudeListDestination } from './amplitude-list.js';
import type { Batch } from './destination.js';
import { amplitudeListSimulator, basicAuthOf, MockReceiver } from './test-support/mock-receiver.js';

const cohort = { id: 'c42', name: 'Big spenders' };
let rx: MockReceiver;
beforeEach(async () => {
  rx = await new MockReceiver().start();
});
afterEach(() => rx.close());

function batch(op: 'add' | 'remove', ids: string[], state: Record<string, unknown>, key = 'k1'): Batch {
  return {
    op,
    users: ids.map((userId) => ({ userId, properties: {} })),
    idempotencyKey: key,
    cohort,
    syncId: 's1',
    runId: 'r1',
    seq: 1,
    last: true,
    estimatedTotal: ids.length,
    batchSize: 1000,
    state,
  };
}

describe('amplitude_list destination', () => {
  it('creates the list once, then adds and removes with exact paths, auth, headers and bodies', async () => {
    const sim = amplitudeListSimulator('key-123');
    rx.handler = sim.handler;
    const d = createAmplitudeListDestination({ baseUrl: rx.url + '/', apiKey: 'key-123' });
    const prep = await d.prepare({ syncId: 's1', runId: 'r1', cohort, state: {}, idempotencyKey: 's1-prepare' });
    expect(prep).toEqual({ kind: 'ok', state: { listId: 'L1' } });
    // An existing list id means no creation.
    expect(await d.prepare({ syncId: 's1', runId: 'r2', cohort, state: { listId: 'L1' }, idempotencyKey: 'x' })).toEqual({ kind: 'ok', noRequest: true });
    expect(rx.requests).toHaveLength(1);

    expect(await d.send(batch('add', ['u1', 'u2', 'u3'], { listId: 'L1' }, 'key-a'))).toEqual({ kind: 'ok' });
    expect(await d.send(batch('remove', ['u2'], { listId: 'L1' }, 'key-b'))).toEqual({ kind: 'ok' });

    const [create, add, remove] = rx.requests;
    const context = { integration: { name: 'Kohort Cohort Sync', version: '1.0.0' } };
    expect(create.method).toBe('POST');
    expect(create.path).toBe('/lists');
    expect(create.json).toEqual({ name: '[Kohort] Big spenders: c42', context });
    expect(create.headers['idempotency-key']).toBe('s1-prepare');
    expect(add.method).toBe('POST');
    expect(add.path).toBe('/lists/L1/add');
    expect(add.json).toEqual({ userIds: ['u1', 'u2', 'u3'], context });
    expect(add.headers['idempotency-key']).toBe('key-a');
    expect(remove.path).toBe('/lists/L1/remove');
    expect(remove.json).toEqual({ userIds: ['u2'], context });
    for (const r of rx.requests) {
      expect(basicAuthOf(r)).toEqual({ user: 'key-123', password: '' });
      expect(r.headers.authorization).toBe('Basic ' + Buffer.from('key-123:').toString('base64'));
      expect(r.headers['content-type']).toBe('application/json');
    }
    expect([...sim.lists.get('L1')!.members].sort()).toEqual(['u1', 'u3']);
  });

  it('uses the configured prefix and integration, and accepts `id` from list creation', async () => {
    rx.handler = () => ({ status: 200, body: { id: 77 } });
    const d = createAmplitudeListDestination({
      baseUrl: rx.url,
      apiKey: 'k',
      listNamePrefix: '[Acme]',
      integrationName: 'Acme Sync',
      integrationVersion: '2.1.0',
    });
    const prep = await d.prepare({ syncId: 's', runId: 'r', cohort, state: {}, idempotencyKey: 'p' });
    expect(prep).toEqual({ kind: 'ok', state: { listId: '77' } });
    expect(rx.requests[0].json).toEqual({
      name: '[Acme] Big spenders: c42',
      context: { integration: { name: 'Acme Sync', version: '2.1.0' } },
    });
  });

  it('classifies responses: 429 with Retry-After, 500, 400, 404, 401, hang and reset', async () => {
    const d = createAmplitudeListDestination({ baseUrl: rx.url, apiKey: 'k' });
    const short = createAmplitudeListDestination({ baseUrl: rx.url, apiKey: 'k' }, { timeoutMs: 200 });
    const b = batch('add', ['u1'], { listId: 'L1' });
    rx.inject({ kind: 'status', status: 429, headers: { 'retry-after': '7' } });
    expect(await d.send(b)).toMatchObject({ kind: 'retry', status: 429, afterMs: 7000 });
    rx.inject({ kind: 'status', status: 429, headers: { 'retry-after': '3600' } });
    expect(await d.send(b)).toMatchObject({ kind: 'retry', afterMs: 300_000 });
    rx.inject({ kind: 'status', status: 503 });
    const r503 = await d.send(b);
    expect(r503).toMatchObject({ kind: 'retry', status: 503 });
    expect('afterMs' in r503).toBe(false);
    rx.inject({ kind: 'status', status: 408 });
    expect(await d.send(b)).toMatchObject({ kind: 'retry', status: 408 });
    rx.inject({ kind: 'status', status: 400, body: { error: 'invalid request' } });
    expect(await d.send(b)).toMatchObject({ kind: 'permanent', status: 400, message: expect.stringContaining('invalid request') });
    rx.inject({ kind: 'status', status: 404 });
    expect(await d.send(b)).toMatchObject({ kind: 'permanent', status: 404 });
    rx.inject({ kind: 'status', status: 401 });
    expect(await d.send(b)).toMatchObject({ kind: 'auth_failed', status: 401 });
    rx.inject({ kind: 'status', status: 403 });
    expect(await d.send(b)).toMatchObject({ kind: 'auth_failed', status: 403 });
    rx.inject({ kind: 'hang' });
    expect(await short.send(b)).toMatchObject({ kind: 'retry', message: expect.stringContaining('timed out') });
    rx.inject({ kind: 'reset' });
    expect(await d.send(b)).toMatchObject({ kind: 'retry', message: expect.stringContaining('network error') });
    expect(await d.send(b)).toEqual({ kind: 'ok' });
  });

  it('tests the connection: a rejected key and an unreachable server are reported', async () => {
    rx.handler = amplitudeListSimulator('good').handler;
    expect((await createAmplitudeListDestination({ baseUrl: rx.url, apiKey: 'good' }).test()).ok).toBe(true);
    expect(rx.requests[0]).toMatchObject({ method: 'GET', path: '/lists' });
    expect(basicAuthOf(rx.requests[0])).toEqual({ user: 'good', password: '' });
    expect(rx.requests[0].headers['idempotency-key']).toMatch(/^[0-9a-f-]{36}$/);
    expect(rx.requests[0].headers['content-type']).toBe('application/json');
    const bad = await createAmplitudeListDestination({ baseUrl: rx.url, apiKey: 'bad' }).test();
    expect(bad).toEqual({ ok: false, message: expect.stringContaining('401') });
    const url = rx.url;
    await rx.close();
    const down = await createAmplitudeListDestination({ baseUrl: url, apiKey: 'good' }, { timeoutMs: 500 }).test();
    expect(down.ok).toBe(false);
    rx = await new MockReceiver().start();
  });
});
