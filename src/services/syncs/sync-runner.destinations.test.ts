import { createHash, createHmac } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MockReceiver } from '../../destinations/test-support/mock-receiver.js';
import { userIds } from './test-support/fake-membership.js';
import { makeHarness } from './test-support/harness.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
let rx: MockReceiver;
beforeEach(async () => {
  rx = await new MockReceiver().start();
});
afterEach(() => rx.close());

describe('SyncRunner end to end per destination', () => {
  it('webhook: receiver verifies every delivery, dedupes by webhook-id, ends holding the members', async () => {
    const secret = 'whsec_' + Buffer.from('0123456789abcdef0123456789abcdef').toString('base64');
    const held = new Set<string>();
    const seen = new Set<string>();
    let badSignatures = 0;
    rx.handler = (req) => {
      const id = String(req.headers['webhook-id']);
      const ts = String(req.headers['webhook-timestamp']);
      const mac = createHmac('sha256', Buffer.from(secret.slice(6), 'base64')).update(`${id}.${ts}.${req.body}`).digest('base64');
      if (req.headers['webhook-signature'] !== `v1,${mac}`) {
        badSignatures++;
        return { status: 401 };
      }
      if (seen.has(id)) return { status: 200 };
      seen.add(id);
      for (const u of req.json.users) req.json.type === 'cohort.members_added' ? held.add(u.userId) : held.delete(u.userId);
      return { status: 200 };
    };
    const members = userIds(250);
    const h = await makeHarness({ type: 'webhook', config: { url: rx.url + '/in', secret }, members, batchSize: 100 });
    h.membership.properties.set('u00000', { email: 'a@b.c', plan: 'pro' });
    rx.inject({ kind: 'status', status: 500 }, { times: 2, match: (r) => r.json.users[0].userId === 'u00100' });
    const run = await h.runner.run(h.syncId);
    expect(run).toMatchObject({ status: 'succeeded', added: 250, retries: 2, requests: 5 });
    expect(h.clock.sleeps).toEqual([1000, 2000]);
    expect(badSignatures).toBe(0);
    expect([...held].sort()).toEqual(members);
    const first = rx.requests.find((r) => r.json.users[0].userId === 'u00000')!;
    expect(first.json).toMatchObject({ type: 'cohort.members_added', cohort: { id: 'c1', name: 'Big spenders' }, syncId: 's1', runId: run.id });
    expect(first.json.users[0]).toEqual({ userId: 'u00000', properties: { email: 'a@b.c', plan: 'pro' } });
    expect(first.json.users[1]).toEqual({ userId: 'u00001', properties: {} });
    // Retries of one batch carry one webhook-id, each attempt signed with its clock time.
    const retried = rx.requests.filter((r) => r.json.users[0].userId === 'u00100');
    expect(new Set(retried.map((r) => r.headers['webhook-id'])).size).toBe(1);
    expect(retried.map((r) => Number(r.headers['webhook-timestamp']) - Number(retried[0].headers['webhook-timestamp']))).toEqual([0, 1, 3]);

    h.membership.setCohort('c1', 'Big spenders', userIds(200, 50));
    expect(await h.runner.run(h.syncId)).toMatchObject({ status: 'succeeded', added: 0, removed: 50 });
    expect([...held].sort()).toEqual(userIds(200, 50));
  });

  it('amplitude_property: traits true on enter and false on leave, single object at batchSize 1', async () => {
    const traits = new Map<string, boolean>();
    const key = '[Kohort] Big spenders: c1';
    rx.handler = (req) => {
      const items = req.json.batch ?? [req.json];
      for (const it of items) traits.set(it.userId, it.traits[key]);
      return { status: 200 };
    };
    const h = await makeHarness({ type: 'amplitude_property', config: { baseUrl: rx.url, apiKey: 'k' }, members: userIds(3), batchSize: 1 });
    rx.inject({ kind: 'status', status: 429 }, { match: (r) => r.json.userId === 'u00001' });
    expect(await h.runner.run(h.syncId)).toMatchObject({ status: 'succeeded', added: 3, requests: 4 });
    expect(h.clock.sleeps).toEqual([1000]);
    expect(rx.requests.every((r) => r.json.type === 'identify' && !('batch' in r.json))).toBe(true);
    h.membership.setCohort('c1', 'Big spenders', ['u00001', 'u00002', 'u00003']);
    await h.runner.run(h.syncId);
    expect(Object.fromEntries(traits)).toEqual({ u00000: false, u00001: true, u00002: true, u00003: true });
  });

  it('meta: creates the audience, sends sessions of hashed emails, retries code 17, skips users without email', async () => {
    const audience = new Set<string>();
    rx.handler = (req) => {
      if (req.path === '/v21.0/act_77/customaudiences') return { status: 200, body: { id: '555' } };
      if (req.path === '/v21.0/555/users') {
        for (const [h] of req.json.payload.data) req.method === 'POST' ? audience.add(h) : audience.delete(h);
        return { status: 200, body: { audience_id: '555', num_received: req.json.payload.data.length } };
      }
      return { status: 404 };
    };
    const members = userIds(25);
    const h = await makeHarness({
      type: 'meta_custom_audience',
      config: { accessToken: 'tok', adAccountId: '77', identifier: 'email', apiBaseUrl: rx.url },
      members,
      batchSize: 10,
      runner: { concurrency: 1 },
    });
    for (const u of members) if (u !== 'u00003') h.membership.properties.set(u, { email: ` ${u.toUpperCase()}@Example.com ` });
    rx.inject(
      { kind: 'status', status: 400, body: { error: { code: 17, message: 'User request limit reached' } } },
      { match: (r) => r.json?.session?.batch_seq === 2 },
    );
    const run = await h.runner.run(h.syncId);
    expect(run).toMatchObject({ status: 'succeeded', added: 24, skipped: 1, failed: 0, retries: 1, requests: 5 });
    expect(h.clock.sleeps).toEqual([1000]);
    expect([...audience].sort()).toEqual(members.filter((u) => u !== 'u00003').map((u) => sha(`${u}@example.com`)).sort());
    const sessions = rx.requests.filter((r) => r.path.endsWith('/users') && !r.fault).map((r) => r.json.session);
    expect(sessions.map((s) => [s.batch_seq, s.last_batch_flag, s.estimated_num_total])).toEqual([
      [1, false, 25],
      [2, false, 25],
      [3, true, 25],
    ]);
    expect(new Set(sessions.map((s) => s.session_id)).size).toBe(1);
    expect((await h.store.getSync(h.syncId))!.protocolState).toEqual({ audienceId: '555' });
    // The skipped user stays un-acknowledged and is added once it has an email.
    expect((await h.store.acknowledged(h.syncId)).includes('u00003')).toBe(false);
    h.membership.properties.set('u00003', { email: 'late@example.com' });
    h.membership.setCohort('c1', 'Big spenders', members.filter((u) => u !== 'u00000'));
    expect(await h.runner.run(h.syncId)).toMatchObject({ status: 'succeeded', added: 1, removed: 1, skipped: 0 });
    expect(audience.has(sha('late@example.com'))).toBe(true);
    expect(audience.has(sha('u00000@example.com'))).toBe(false);
    expect(rx.requests.filter((r) => r.path.endsWith('/customaudiences'))).toHaveLength(1);
  });

  it('meta: token errors (code 190) stop the run as auth_failed', async () => {
    rx.handler = () => ({ status: 400, body: { error: { code: 190, message: 'Invalid OAuth access token' } } });
    const h = await makeHarness({
      type: 'meta_custom_audience',
      config: { accessToken: 'tok', adAccountId: '77', audienceId: '9', identifier: 'external_id', apiBaseUrl: rx.url },
      members: userIds(30),
      batchSize: 10,
      runner: { concurrency: 1 },
    });
    const run = await h.runner.run(h.syncId);
    expect(run).toMatchObject({ status: 'failed', requests: 1, failed: 10, retries: 0 });
    expect(await h.store.getSync(h.syncId)).toMatchObject({ state: 'auth_failed', paused: true });
  });

  it('file: the first run writes a full file, later runs a delta, latest holds the membership', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'kohort-sync-file-'));
    try {
      const h = await makeHarness({ type: 'file', config: { directory: dir, format: 'csv' }, members: ['a', 'b'] });
      const r1 = await h.runner.run(h.syncId);
      expect(r1).toMatchObject({ status: 'succeeded', full: true, added: 2, requests: 1 });
      h.clock.advance(3_600_000);
      h.membership.setCohort('c1', 'x', ['b', 'c']);
      const r2 = await h.runner.run(h.syncId);
      expect(r2).toMatchObject({ status: 'succeeded', full: false, added: 1, removed: 1 });
      const cdir = path.join(dir, 'c1');
      expect((await readdir(cdir)).sort()).toEqual(['2025-01-01T00-00-00.000Z-full.csv', '2025-01-01T01-00-00.000Z-delta.csv', 'latest.csv']);
      expect(await readFile(path.join(cdir, '2025-01-01T01-00-00.000Z-delta.csv'), 'utf8')).toBe('user_id,change\nc,add\na,remove\n');
      expect(await readFile(path.join(cdir, 'latest.csv'), 'utf8')).toBe('user_id\nb\nc\n');
      expect((await h.store.acknowledged(h.syncId)).sort()).toEqual(['b', 'c']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
