import { createHmac, timingSafeEqual } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateWebhookSecret } from '../schemas/destination.js';
import type { Batch } from './destination.js';
import { createWebhookDestination } from './webhook.js';
import { MockReceiver, type RecordedRequest } from './test-support/mock-receiver.js';

/**
 * An independent verifier written from the Standard Webhooks spec: the signed
 * content is `${webhook-id}.${webhook-timestamp}.${raw body}`, the key is the
 * base64 part of the secret after `whsec_`, the header is a space-separated
 * list of `v1,<base64>` signatures; timestamps older than 5 minutes are rejected.
 */
function verifyStandardWebhook(secret: string, req: RecordedRequest, nowSeconds: number): boolean {
  const id = req.headers['webhook-id'];
  const ts = req.headers['webhook-timestamp'];
  const sigHeader = req.headers['webhook-signature'];
  if (typeof id !== 'string' || typeof ts !== 'string' || typeof sigHeader !== 'string') return false;
  if (!/^\d+$/.test(ts) || Math.abs(nowSeconds - Number(ts)) > 300) return false;
  const key = Buffer.from(secret.split('_')[1], 'base64');
  const expected = createHmac('sha256', key).update(id + '.' + ts + '.' + req.body).digest();
  return sigHeader.split(' ').some((part) => {
    const [version, sig] = part.split(',');
    if (version !== 'v1' || !sig) return false;
    const got = Buffer.from(sig, 'base64');
    return got.length === expected.length && timingSafeEqual(got, expected);
  });
}

let rx: MockReceiver;
beforeEach(async () => {
  rx = await new MockReceiver().start();
});
afterEach(() => rx.close());

const batch = (op: 'add' | 'remove', key: string): Batch => ({
  op,
  users: [
    { userId: 'u1', properties: { email: 'a@x.io', plan: 'pro' } },
    { userId: 'u2', properties: {} },
  ],
  idempotencyKey: key,
  cohort: { id: 'c1', name: 'Churn risk' },
  syncId: 's9',
  runId: 'r7',
  seq: 1,
  last: true,
  estimatedTotal: 2,
  batchSize: 1000,
  state: {},
});

describe('webhook destination', () => {
  it('posts the documented payload signed per Standard Webhooks', async () => {
    const secret = generateWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    const now = new Date('2025-03-01T10:00:00Z');
    const d = createWebhookDestination({ url: rx.url + '/hooks/kohort', secret }, { now: () => now });
    expect(await d.send(batch('add', 'r7-add-1'))).toEqual({ kind: 'ok' });
    expect(await d.send(batch('remove', 'r7-remove-1'))).toEqual({ kind: 'ok' });

    const [add, remove] = rx.requests;
    expect(add.method).toBe('POST');
    expect(add.path).toBe('/hooks/kohort');
    expect(add.headers['content-type']).toBe('application/json');
    expect(add.headers['webhook-id']).toBe('r7-add-1');
    expect(add.headers['idempotency-key']).toBe('r7-add-1');
    expect(add.headers['webhook-timestamp']).toBe(String(now.getTime() / 1000));
    expect(add.json).toEqual({
      type: 'cohort.members_added',
      cohort: { id: 'c1', name: 'Churn risk' },
      syncId: 's9',
      runId: 'r7',
      users: [
        { userId: 'u1', properties: { email: 'a@x.io', plan: 'pro' } },
        { userId: 'u2', properties: {} },
      ],
    });
    expect(remove.json.type).toBe('cohort.members_removed');
    expect(remove.headers['webhook-id']).toBe('r7-remove-1');
    const nowS = now.getTime() / 1000;
    expect(verifyStandardWebhook(secret, add, nowS)).toBe(true);
    expect(verifyStandardWebhook(secret, remove, nowS)).toBe(true);
    // The verifier can fail: another secret, or a tampered body, is rejected.
    expect(verifyStandardWebhook(generateWebhookSecret(), add, nowS)).toBe(false);
    expect(verifyStandardWebhook(secret, { ...add, body: add.body.replace('u1', 'u3') }, nowS)).toBe(false);
  });

  it('matches the Standard Webhooks reference vector', async () => {
    // Test vector from the Standard Webhooks reference libraries.
    const { signStandardWebhook } = await import('./webhook.js');
    expect(
      signStandardWebhook(
        'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
        'msg_p5jXN8AQM9LWM0D4loKWxJek',
        1614265330,
        '{"test": 2432232314}',
      ),
    ).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('keeps the id across retries and signs each attempt with its own timestamp', async () => {
    const secret = generateWebhookSecret();
    let t = Date.parse('2025-03-01T10:00:00Z');
    const d = createWebhookDestination({ url: rx.url, secret }, { now: () => new Date(t) });
    rx.inject({ kind: 'status', status: 500 });
    expect((await d.send(batch('add', 'same-key'))).kind).toBe('retry');
    t += 4000;
    expect(await d.send(batch('add', 'same-key'))).toEqual({ kind: 'ok' });
    const [a, b] = rx.requests;
    expect(a.headers['webhook-id']).toBe('same-key');
    expect(b.headers['webhook-id']).toBe('same-key');
    expect(Number(b.headers['webhook-timestamp'])).toBe(Number(a.headers['webhook-timestamp']) + 4);
    expect(verifyStandardWebhook(secret, b, t / 1000)).toBe(true);
  });

  it('test() sends a signed test event and reports the answer', async () => {
    const secret = generateWebhookSecret();
    const d = createWebhookDestination({ url: rx.url, secret });
    expect((await d.test()).ok).toBe(true);
    expect(verifyStandardWebhook(secret, rx.requests[0], Date.now() / 1000)).toBe(true);
    rx.inject({ kind: 'status', status: 410 });
    expect(await d.test()).toEqual({ ok: false, message: expect.stringContaining('410') });
  });

  it('every delivery verifies with the official standardwebhooks package', async () => {
    const secret = generateWebhookSecret();
    // The real clock: the package checks the timestamp against its own now (5 minutes tolerance).
    const d = createWebhookDestination({ url: rx.url + '/hooks', secret });
    expect(await d.send(batch('add', 'run-1-add-1'))).toEqual({ kind: 'ok' });
    expect(await d.send(batch('remove', 'run-1-remove-1'))).toEqual({ kind: 'ok' });
    expect((await d.test()).ok).toBe(true);
    expect(rx.requests).toHaveLength(3);
    const wh = new Webhook(secret);
    for (const req of rx.requests) {
      const headers = req.headers as Record<string, string>;
      expect(wh.verify(req.body, headers)).toEqual(req.json);
      // What the package refuses, it refuses here too: another secret, a changed body, a stale timestamp.
      expect(() => new Webhook(generateWebhookSecret()).verify(req.body, headers)).toThrow();
      expect(() => wh.verify(req.body.replace('"', ' "'), headers)).toThrow();
      expect(() => wh.verify(req.body, { ...headers, 'webhook-timestamp': String(Number(headers['webhook-timestamp']) - 600) })).toThrow();
    }
    expect(rx.requests.map((r) => (r.json as { type: string }).type)).toEqual(['cohort.members_added', 'cohort.members_removed', 'kohort.test']);
  });
});
