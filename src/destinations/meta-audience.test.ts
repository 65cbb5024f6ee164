import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Batch } from './destination.js';
import { createMetaAudienceDestination, normalizeEmail, normalizePhone } from './meta-audience.js';
import { MockReceiver } from './test-support/mock-receiver.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
let rx: MockReceiver;
beforeEach(async () => {
  rx = await new MockReceiver().start();
});
afterEach(() => rx.close());

const cohort = { id: 'c5', name: 'VIP' };
const batch = (op: 'add' | 'remove', users: Batch['users'], extra: Partial<Batch> = {}): Batch => ({
  op,
  users,
  idempotencyKey: 'idem-1',
  cohort,
  syncId: 's1',
  runId: 'run-1',
  seq: 2,
  last: false,
  estimatedTotal: 25_000,
  batchSize: 10_000,
  state: { audienceId: '2384' },
  ...extra,
});

describe('meta_custom_audience destination', () => {
  it('creates the audience when none is configured', async () => {
    rx.handler = () => ({ status: 200, body: { id: '23850001' } });
    const d = createMetaAudienceDestination({ accessToken: 'EAAtok', adAccountId: 'act_1234', identifier: 'email', apiBaseUrl: rx.url });
    const prep = await d.prepare({ syncId: 's1', runId: 'r', cohort, state: {}, idempotencyKey: 's1-prepare' });
    expect(prep).toEqual({ kind: 'ok', state: { audienceId: '23850001' } });
    const req = rx.requests[0];
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/v21.0/act_1234/customaudiences');
    expect(req.headers['idempotency-key']).toBe('s1-prepare');
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.json).toEqual({
      name: '[Kohort] VIP: c5',
      subtype: 'CUSTOM',
      customer_file_source: 'USER_PROVIDED_ONLY',
      access_token: 'EAAtok',
    });
    // A configured audience is used as is: no request.
    const fixed = createMetaAudienceDestination({ accessToken: 't', adAccountId: '1', audienceId: '999', identifier: 'email', apiBaseUrl: rx.url });
    expect(await fixed.prepare({ syncId: 's', runId: 'r', cohort, state: {}, idempotencyKey: 'k' })).toEqual({ kind: 'ok', noRequest: true, state: { audienceId: '999' } });
    expect(rx.requests).toHaveLength(1);
  });

  it('adds with POST and removes with DELETE, normalized SHA-256 emails, session fields; skips users without email', async () => {
    const d = createMetaAudienceDestination({ accessToken: 'EAAtok', adAccountId: '1', identifier: 'email', apiBaseUrl: rx.url, apiVersion: 'v20.0' });
    const out = await d.send(
      batch('add', [
        { userId: 'u1', properties: { email: '  Alice@Example.COM ' } },
        { userId: 'u2', properties: {} },
        { userId: 'u3', properties: { email: 'bob@example.com' } },
        { userId: 'u4', properties: { email: 'not-an-email' } },
      ]),
    );
    expect(out).toEqual({ kind: 'ok', skippedUserIds: ['u2', 'u4'] });
    const req = rx.requests[0];
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/v20.0/2384/users');
    expect(req.headers['idempotency-key']).toBe('idem-1');
    expect(req.json.payload).toEqual({
      schema: 'EMAIL_SHA256',
      data: [[sha('alice@example.com')], [sha('bob@example.com')]],
    });
    expect(req.json.payload.data[0][0]).toBe('ff8d9819fc0e12bf0d24892e45987e249a28dce836a85cad60e28eaaa8c6d976');
    expect(req.json.access_token).toBe('EAAtok');
    expect(req.json.session).toEqual({
      session_id: expect.any(Number),
      batch_seq: 2,
      last_batch_flag: false,
      estimated_num_total: 25_000,
    });
    expect(Number.isSafeInteger(req.json.session.session_id)).toBe(true);

    await d.send(batch('remove', [{ userId: 'u1', properties: { email: 'alice@example.com' } }], { seq: 1, last: true }));
    const del = rx.requests[1];
    expect(del.method).toBe('DELETE');
    expect(del.path).toBe('/v20.0/2384/users');
    expect(del.json.payload.data).toEqual([[sha('alice@example.com')]]);
    expect(del.json.session.last_batch_flag).toBe(true);
  });

  it('the session id is shared by the batches of one run and op', async () => {
    const d = createMetaAudienceDestination({ accessToken: 't', adAccountId: '1', identifier: 'external_id', apiBaseUrl: rx.url });
    await d.send(batch('add', [{ userId: 'a', properties: {} }], { seq: 1 }));
    await d.send(batch('add', [{ userId: 'b', properties: {} }], { seq: 2 }));
    await d.send(batch('add', [{ userId: 'c', properties: {} }], { runId: 'run-2' }));
    const ids = rx.requests.map((r) => r.json.session.session_id);
    expect(ids[0]).toBe(ids[1]);
    expect(ids[2]).not.toBe(ids[0]);
  });

  it('hashes phones as digits with country code and external ids as the user id', async () => {
    expect(normalizePhone('+1 (650) 555-1212')).toBe('16505551212');
    expect(normalizePhone('0049 30 1234567')).toBe('49301234567');
    expect(normalizePhone('n/a')).toBeNull();
    expect(normalizeEmail(' X@Y.Z ')).toBe('x@y.z');
    const phone = createMetaAudienceDestination({ accessToken: 't', adAccountId: '1', identifier: 'phone', property: 'mobile', apiBaseUrl: rx.url });
    const out = await phone.send(
      batch('add', [
        { userId: 'u1', properties: { mobile: '+1 (650) 555-1212', phone: '+44 20 7946 0000' } },
        { userId: 'u2', properties: { phone: '+44 20 7946 0000' } },
      ]),
    );
    expect(out).toEqual({ kind: 'ok', skippedUserIds: ['u2'] });
    expect(rx.requests[0].json.payload).toEqual({ schema: 'PHONE_SHA256', data: [[sha('16505551212')]] });

    const ext = createMetaAudienceDestination({ accessToken: 't', adAccountId: '1', identifier: 'external_id', apiBaseUrl: rx.url });
    expect(ext.needsProperties).toBe(false);
    await ext.send(batch('add', [{ userId: 'User-7', properties: {} }]));
    expect(rx.requests[1].json.payload).toEqual({ schema: 'EXTERN_ID', data: [[sha('User-7')]] });
  });

  it('sends nothing when no user of a batch has the identifier', async () => {
    const d = createMetaAudienceDestination({ accessToken: 't', adAccountId: '1', identifier: 'email', apiBaseUrl: rx.url });
    expect(await d.send(batch('add', [{ userId: 'u1', properties: {} }]))).toEqual({ kind: 'ok', skippedUserIds: ['u1'], noRequest: true });
    expect(rx.requests).toHaveLength(0);
  });

  it('classifies Graph errors: throttling codes retry, token codes are auth failures, others permanent', async () => {
    const d = createMetaAudienceDestination({ accessToken: 't', adAccountId: '1', identifier: 'external_id', apiBaseUrl: rx.url });
    const b = batch('add', [{ userId: 'u1', properties: {} }]);
    const graphError = (code: number, status = 400) => ({
      kind: 'status' as const,
      status,
      body: { error: { message: 'x', type: 'OAuthException', code, fbtrace_id: 'A' } },
    });
    for (const code of [4, 17, 613, 80003]) {
      rx.inject(graphError(code));
      expect(await d.send(b)).toMatchObject({ kind: 'retry', status: 400 });
    }
    for (const code of [190, 200, 10]) {
      rx.inject(graphError(code));
      expect(await d.send(b)).toMatchObject({ kind: 'auth_failed', status: 400 });
    }
    rx.inject(graphError(100));
    expect(await d.send(b)).toMatchObject({ kind: 'permanent', status: 400 });
    rx.inject(graphError(2, 500));
    expect(await d.send(b)).toMatchObject({ kind: 'retry', status: 500 });
    rx.inject({ kind: 'status', status: 400, body: 'not json' });
    expect(await d.send(b)).toMatchObject({ kind: 'permanent', status: 400 });
  });
});
