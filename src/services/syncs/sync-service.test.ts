import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDestinationRegistry } from '../../destinations/registry.js';
import { MockReceiver } from '../../destinations/test-support/mock-receiver.js';
import { SECRET_MASK } from '../../schemas/destination.js';
import { createSyncService } from './sync-service.js';
import { SyncRunner } from './sync-runner.js';
import { FakeClock } from './test-support/fake-clock.js';
import { FakeMembership } from './test-support/fake-membership.js';
import { MemorySyncStore } from './test-support/memory-sync-store.js';

let rx: MockReceiver;
beforeEach(async () => {
  rx = await new MockReceiver().start();
});
afterEach(() => rx.close());

function setup() {
  const store = new MemorySyncStore();
  const clock = new FakeClock();
  const membership = new FakeMembership().setCohort('c1', 'VIP', ['u1', 'u2']).setCohort('c2', 'Other', []);
  const registry = createDestinationRegistry(undefined, { timeoutMs: 5_000 });
  const runner = new SyncRunner({ store, membership, registry, clock, random: () => 0.5 });
  let pokes = 0;
  let n = 0;
  const service = createSyncService({ store, runner, registry, membership, clock, onDue: () => pokes++, newId: () => `id${++n}` });
  return { store, clock, membership, runner, service, pokes: () => pokes };
}

describe('sync service', () => {
  it('never returns secrets; shows a generated webhook secret once', async () => {
    const { service, store } = setup();
    const created = await service.createDestination({ name: 'Hook', type: 'webhook', config: { url: rx.url } });
    expect(created.config.secret).toBe(SECRET_MASK);
    expect(created.generatedSecret).toMatch(/^whsec_/);
    expect((await store.getDestination(created.id))!.config.secret).toBe(created.generatedSecret);
    expect(JSON.stringify(await service.getDestination(created.id))).not.toContain(created.generatedSecret!.slice(6));
    expect(JSON.stringify(await service.listDestinations())).not.toContain(created.generatedSecret!.slice(6));
    const amp = await service.createDestination({ name: 'Amp', type: 'amplitude_list', config: { baseUrl: rx.url, apiKey: 'topsecret' } });
    expect(JSON.stringify(amp)).not.toContain('topsecret');
    expect(amp).not.toHaveProperty('generatedSecret');
    // Patching with the mask keeps the key.
    await service.patchDestination(amp.id, { config: { apiKey: SECRET_MASK, listNamePrefix: '[X]' } });
    expect((await store.getDestination(amp.id))!.config).toMatchObject({ apiKey: 'topsecret', listNamePrefix: '[X]' });
  });

  it('validates input with field details', async () => {
    const { service } = setup();
    await expect(service.createDestination({ name: 'x', type: 'webhook', config: { url: 'nope' } })).rejects.toMatchObject({
      status: 400,
      code: 'invalid_input',
      details: [expect.objectContaining({ field: 'config.url' })],
    });
    const d = await service.createDestination({ name: 'Hook', type: 'webhook', config: { url: rx.url } });
    await expect(service.createSync({ cohortId: 'c1', destinationId: d.id, frequency: 'weekly' })).rejects.toMatchObject({ status: 400 });
    await expect(service.createSync({ cohortId: 'zz', destinationId: d.id, frequency: 'once' })).rejects.toMatchObject({ status: 404 });
    await expect(service.createSync({ cohortId: 'c1', destinationId: 'zz', frequency: 'once' })).rejects.toMatchObject({ status: 404 });
    await expect(service.patchDestination(d.id, { config: { url: 'ftp://x' } })).rejects.toMatchObject({ status: 400 });
  });

  it('one sync per (cohort, destination): 409 sync_exists with the existing id', async () => {
    const { service, pokes } = setup();
    const d = await service.createDestination({ name: 'Hook', type: 'webhook', config: { url: rx.url } });
    const s = await service.createSync({ cohortId: 'c1', destinationId: d.id, frequency: 'once' });
    expect(s).toMatchObject({ cohortId: 'c1', frequency: 'once', batchSize: 1000, paused: false, state: 'idle', lastRun: null });
    expect(s.nextRunAt).not.toBeNull();
    expect(pokes()).toBe(1);
    await expect(service.createSync({ cohortId: 'c1', destinationId: d.id, frequency: 'daily' })).rejects.toMatchObject({
      status: 409,
      code: 'sync_exists',
      details: { syncId: s.id },
    });
    await expect(service.deleteDestination(d.id)).rejects.toMatchObject({ status: 409, code: 'destination_in_use' });
    expect(await service.hooks.syncsOf('c1')).toEqual([{ id: s.id }]);
  });

  it('runs now (202 payload), refuses overlapping runs, pauses and resumes', async () => {
    const { service, runner } = setup();
    const d = await service.createDestination({ name: 'Hook', type: 'webhook', config: { url: rx.url } });
    const s = await service.createSync({ cohortId: 'c1', destinationId: d.id, frequency: 'hourly', batchSize: 1 });
    const run = await service.runNow(s.id);
    expect(run).toMatchObject({ status: 'running', finishedAt: null });
    await expect(service.runNow(s.id)).rejects.toMatchObject({ status: 409, code: 'sync_running' });
    await expect(service.deleteSync(s.id)).rejects.toMatchObject({ status: 409 });
    await runner.idle();
    const [done] = await service.listRuns(s.id);
    expect(done).toMatchObject({ id: run.id, status: 'succeeded', added: 2, requests: 2 });
    expect(typeof done.startedAt).toBe('string');
    expect(rx.requests).toHaveLength(2);

    expect(await service.patchSync(s.id, { paused: true })).toMatchObject({ paused: true });
    await expect(service.runNow(s.id)).rejects.toMatchObject({ status: 409, code: 'sync_paused' });
    expect(await service.patchSync(s.id, { paused: false, batchSize: 50, frequency: 'daily' })).toMatchObject({ paused: false, batchSize: 50, frequency: 'daily' });
    await expect(service.patchSync(s.id, { batchSize: 20_000 })).rejects.toMatchObject({ status: 400 });
    await service.deleteSync(s.id);
    await expect(service.getSync(s.id)).rejects.toMatchObject({ status: 404 });
  });

  it('test connection reports the outcome', async () => {
    const { service } = setup();
    const d = await service.createDestination({ name: 'Amp', type: 'amplitude_list', config: { baseUrl: rx.url, apiKey: 'k' } });
    rx.inject({ kind: 'status', status: 401 });
    expect(await service.testDestination(d.id)).toEqual({ ok: false, message: expect.stringContaining('401') });
    expect((await service.testDestination(d.id)).ok).toBe(true);
  });
});
