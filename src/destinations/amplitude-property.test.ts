import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAmplitudePropertyDestination } from './amplitude-property.js';
import type { Batch } from './destination.js';
import { basicAuthOf, MockReceiver } from './test-support/mock-receiver.js';

let rx: MockReceiver;
beforeEach(async () => {
  rx = await new MockReceiver().start();
});
afterEach(() => rx.close());

const batch = (op: 'add' | 'remove', ids: string[], batchSize: number): Batch => ({
  op,
  users: ids.map((userId) => ({ userId, properties: {} })),
  idempotencyKey: `k-${op}-${ids.join('_')}`,
  cohort: { id: '42', name: 'Big spenders' },
  syncId: 's',
  runId: 'r',
  seq: 1,
  last: true,
  estimatedTotal: ids.length,
  batchSize,
  state: {},
});

const context = { integration: { name: 'Kohort Cohort Sync', version: '1.0.0' } };

describe('amplitude_property destination', () => {
  it('sends identify batches with the trait true on enter and false on leave', async () => {
    const d = createAmplitudePropertyDestination({ baseUrl: rx.url, apiKey: 'ak' });
    expect(await d.send(batch('add', ['u1', 'u2'], 1000))).toEqual({ kind: 'ok' });
    expect(await d.send(batch('remove', ['u3'], 1000))).toEqual({ kind: 'ok' });
    const [add, remove] = rx.requests;
    expect(add.method).toBe('POST');
    expect(add.path).toBe('/identify');
    expect(basicAuthOf(add)).toEqual({ user: 'ak', password: '' });
    expect(add.headers['content-type']).toBe('application/json');
    expect(add.headers['idempotency-key']).toBe('k-add-u1_u2');
    expect(add.json).toEqual({
      batch: [
        { type: 'identify', userId: 'u1', traits: { '[Kohort] Big spenders: 42': true }, context },
        { type: 'identify', userId: 'u2', traits: { '[Kohort] Big spenders: 42': true }, context },
      ],
    });
    // A last batch of one user under a larger batch size stays wrapped.
    expect(remove.json).toEqual({
      batch: [{ type: 'identify', userId: 'u3', traits: { '[Kohort] Big spenders: 42': false }, context }],
    });
  });

  it('sends a single identify object, unwrapped, when batchSize is 1; honours path and prefix', async () => {
    const d = createAmplitudePropertyDestination({ baseUrl: rx.url, apiKey: 'ak', path: '/v1/identify', traitPrefix: 'KH' });
    await d.send(batch('remove', ['u9'], 1));
    expect(rx.requests[0].path).toBe('/v1/identify');
    expect(rx.requests[0].json).toEqual({ type: 'identify', userId: 'u9', traits: { 'KH Big spenders: 42': false }, context });
  });

  it('classifies 401 as auth failure and 429 as retry', async () => {
    const d = createAmplitudePropertyDestination({ baseUrl: rx.url, apiKey: 'ak' });
    rx.inject({ kind: 'status', status: 401 });
    expect((await d.send(batch('add', ['u1'], 10))).kind).toBe('auth_failed');
    rx.inject({ kind: 'status', status: 429, headers: { 'retry-after': '2' } });
    expect(await d.send(batch('add', ['u1'], 10))).toMatchObject({ kind: 'retry', afterMs: 2000 });
  });
});
