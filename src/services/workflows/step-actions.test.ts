import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MockReceiver } from '../../destinations/test-support/mock-receiver.js';
import { signStandardWebhook } from '../../destinations/webhook.js';
import type { Action } from '../../schemas/workflow.js';
import type { WriteItem } from '../../storage/event-store.js';
import type { ExecutionRecord } from '../../storage/workflow-store.js';
import { conflict, invalidInput, notFound, ServiceError } from '../errors.js';
import { syncPaused, syncRunning } from '../syncs/errors.js';
import { createStepActions, type StepActionDeps } from './step-actions.js';

const NOW = new Date('2025-06-01T12:00:00Z');
const SECRET = 'whsec_' + Buffer.alloc(32, 7).toString('base64');
let receiver: MockReceiver;
beforeAll(async () => {
  receiver = await new MockReceiver().start();
});
afterAll(() => receiver.close());

const exec = (action: Action): ExecutionRecord => ({
  id: 'wfx_1', cohortId: 'c1', stepId: 's1', stepName: 'Qualified', userId: 'u1', action, status: 'running', attempts: 1,
  lastError: null, createdAt: NOW, finishedAt: null, nextAttemptAt: null, movedAt: new Date('2025-06-01T11:59:00Z'), movedBy: 'acc_9', attemptLog: [],
});

function actions(over: Partial<StepActionDeps> = {}) {
  const written: WriteItem[][] = [];
  const perform = createStepActions({
    cohortName: async () => 'Leads',
    writeEvents: async (items) => void written.push(items),
    addMembers: async () => ({ invalid: [] }),
    runSync: async () => ({}),
    now: () => NOW,
    http: { timeoutMs: 2_000 },
    ...over,
  });
  return { perform, written };
}

describe('step actions', () => {
  it('webhook: posts the step_reached payload, signed, with the execution id as webhook-id', async () => {
    const { perform } = actions();
    expect(await perform(exec({ type: 'webhook', url: `${receiver.url}/ok`, secret: SECRET }))).toEqual({ kind: 'ok' });
    const req = receiver.requests.at(-1)!;
    expect(req.json).toEqual({
      type: 'workflow.step_reached', cohortId: 'c1', cohortName: 'Leads', stepId: 's1', stepName: 'Qualified', userId: 'u1',
      movedAt: '2025-06-01T11:59:00.000Z', movedBy: 'acc_9',
    });
    expect(req.headers['webhook-id']).toBe('wfx_1');
    expect(req.headers['webhook-timestamp']).toBe(String(NOW.getTime() / 1000));
    expect(req.headers['webhook-signature']).toBe(signStandardWebhook(SECRET, 'wfx_1', NOW.getTime() / 1000, req.body));
  });

  it('webhook: 5xx and unreachable are retried, Retry-After is passed on, 401 and 404 are permanent', async () => {
    const { perform } = actions();
    const hook = (path: string): Action => ({ type: 'webhook', url: `${receiver.url}${path}`, secret: SECRET });
    receiver.inject({ kind: 'status', status: 502, body: 'internal: db password is hunter2' });
    // The status only: a response body is never kept in the log.
    expect(await perform(exec(hook('/a')))).toMatchObject({ kind: 'retry', message: 'HTTP 502' });
    receiver.inject({ kind: 'status', status: 429, headers: { 'retry-after': '3' } });
    expect(await perform(exec(hook('/a')))).toMatchObject({ kind: 'retry', afterMs: 3000 });
    receiver.inject({ kind: 'status', status: 401 });
    expect(await perform(exec(hook('/a')))).toMatchObject({ kind: 'permanent', message: expect.stringContaining('HTTP 401') });
    receiver.inject({ kind: 'status', status: 404 });
    expect(await perform(exec(hook('/a')))).toMatchObject({ kind: 'permanent' });
    expect(await perform(exec({ type: 'webhook', url: 'http://127.0.0.1:1/closed', secret: SECRET }))).toMatchObject({ kind: 'retry' });
  });

  it('set_property: one identify with the trait, timestamped at the move, deduplicated by execution id', async () => {
    const { perform, written } = actions();
    expect(await perform(exec({ type: 'set_property', key: 'stage', value: [1, 'two'] }))).toEqual({ kind: 'ok' });
    expect(written).toEqual([[{ kind: 'identify', externalId: 'u1', traits: { stage: [1, 'two'] }, ts: new Date('2025-06-01T11:59:00Z'), messageId: 'wfx_1' }]]);
  });

  it('add_to_cohort: gone, dynamic or unknown user fail for good; an unavailable store is retried', async () => {
    const add = (fn: StepActionDeps['addMembers']) => actions({ addMembers: fn }).perform(exec({ type: 'add_to_cohort', cohortId: 't1' }));
    expect(await add(async () => ({ invalid: [] }))).toEqual({ kind: 'ok' });
    expect(await add(async () => Promise.reject(notFound('Cohort', 't1')))).toMatchObject({ kind: 'permanent' });
    expect(await add(async () => Promise.reject(invalidInput('Cohort "T" is dynamic')))).toMatchObject({ kind: 'permanent', message: expect.stringContaining('dynamic') });
    expect(await add(async () => ({ invalid: [{ message: 'unknown user "u1"' }] }))).toMatchObject({ kind: 'permanent' });
    expect(await add(async () => Promise.reject(new ServiceError(503, 'unavailable', 'busy')))).toMatchObject({ kind: 'retry' });
  });

  it('run_sync: started or already running is success; unknown or paused fail for good', async () => {
    const run = (fn: StepActionDeps['runSync']) => actions({ runSync: fn }).perform(exec({ type: 'run_sync', syncId: 's9' }));
    expect(await run(async () => ({}))).toEqual({ kind: 'ok' });
    expect(await run(async () => Promise.reject(syncRunning('s9', 'r1')))).toEqual({ kind: 'ok' });
    expect(await run(async () => Promise.reject(notFound('sync', 's9')))).toMatchObject({ kind: 'permanent' });
    expect(await run(async () => Promise.reject(syncPaused('s9', 'user')))).toMatchObject({ kind: 'permanent', message: expect.stringContaining('paused') });
    expect(await run(async () => Promise.reject(conflict('other', 'x')))).toMatchObject({ kind: 'permanent' });
    expect(await run(async () => Promise.reject(new Error('disk full')))).toMatchObject({ kind: 'retry' });
  });
});
