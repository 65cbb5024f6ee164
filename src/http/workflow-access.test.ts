import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kohort } from '../main.js';
import { addMember, caller, startTeamKohort, type TeamMember } from './test-support/team.js';

/**
 * Who may point a step's action at what (docs/TEAMS.md): add_to_cohort needs
 * a static cohort the caller can change, run_sync a sync of a cohort the caller
 * can change; cohorts the caller cannot see are reported like unknown ones.
 */
const ADMIN = 'kha_workflow_access_test';
let k: Kohort;
let call: ReturnType<typeof caller>;
let alice: TeamMember;
let bob: TeamMember;
let own: string;
let bobsTarget: string;
let sharedTarget: string;
let bobsSync: string;

beforeAll(async () => {
  k = await startTeamKohort(ADMIN);
  call = caller(k);
  alice = await addMember(k, ADMIN, 'member', 'alice');
  bob = await addMember(k, ADMIN, 'member', 'bob');
  await k.app.inject({ method: 'POST', url: '/v1/identify', payload: { userId: 'u1', traits: {} }, headers: { authorization: `Bearer ${ADMIN}_write` } });
  own = (await call(alice.token, 'POST', '/v1/cohorts', { name: 'Alice list', kind: 'static' })).body.id;
  await call(alice.token, 'POST', `/v1/cohorts/${own}/members`, { userIds: ['u1'] });
  bobsTarget = (await call(bob.token, 'POST', '/v1/cohorts', { name: 'Bob list', kind: 'static' })).body.id;
  sharedTarget = (await call(bob.token, 'POST', '/v1/cohorts', { name: 'Shared list', kind: 'static' })).body.id;
  expect((await call(bob.token, 'PUT', `/v1/cohorts/${sharedTarget}/collaborators/${alice.id}`, { role: 'viewer' })).status).toBe(200);
  const dest = (await call(ADMIN, 'POST', '/v1/destinations', { name: 'Hook', type: 'webhook', config: { url: 'http://127.0.0.1:1/h' } })).body.id;
  bobsSync = (await call(bob.token, 'POST', '/v1/syncs', { cohortId: bobsTarget, destinationId: dest, frequency: 'daily' })).body.id;
});
afterAll(() => k.close());

const put = (token: string, action: unknown) => call(token, 'PUT', `/v1/cohorts/${own}/steps`, { steps: [{ name: 'In' }, { name: 'Next', action }] });

describe('step action targets and the caller', () => {
  it('a cohort the caller cannot see is reported like an unknown one', async () => {
    const r = await put(alice.token, { type: 'add_to_cohort', cohortId: bobsTarget });
    expect(r.status).toBe(400);
    expect(r.body.error.details).toEqual([{ field: 'steps.1.action.cohortId', message: `cohort "${bobsTarget}" does not exist` }]);
  });

  it('a cohort the caller can only read is refused, naming the field', async () => {
    const r = await put(alice.token, { type: 'add_to_cohort', cohortId: sharedTarget });
    expect(r.status).toBe(400);
    expect(r.body.error.details[0]).toMatchObject({ field: 'steps.1.action.cohortId', message: expect.stringContaining('only read') });
  });

  it('a sync of a cohort the caller cannot see is unknown; its owner may use it', async () => {
    expect((await put(alice.token, { type: 'run_sync', syncId: bobsSync })).body.error.details[0].field).toBe('steps.1.action.syncId');
    expect((await call(bob.token, 'PUT', `/v1/cohorts/${bobsTarget}/steps`, { steps: [{ name: 'Push', action: { type: 'run_sync', syncId: bobsSync } }] })).status).toBe(200);
  });

  it('once invited as editor, the same target is accepted; others still cannot see the board', async () => {
    await call(bob.token, 'PUT', `/v1/cohorts/${sharedTarget}/collaborators/${alice.id}`, { role: 'editor' });
    const ok = await put(alice.token, { type: 'add_to_cohort', cohortId: sharedTarget });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect((await call(bob.token, 'GET', `/v1/cohorts/${own}/board`)).status).toBe(404);
    expect((await call(bob.token, 'POST', `/v1/cohorts/${own}/cards/u1/move`, { stepId: ok.body[1].id })).status).toBe(404);
    // Alice's move is recorded with her account as the mover.
    const moved = await call(alice.token, 'POST', `/v1/cohorts/${own}/cards/u1/move`, { stepId: ok.body[1].id });
    expect(moved.body).toMatchObject({ userId: 'u1', stepId: ok.body[1].id, movedBy: alice.id });
    await k.workflows.runner.drain();
    expect((await call(bob.token, 'GET', `/v1/cohorts/${sharedTarget}/members`)).body.items).toEqual(['u1']);
  });

  it('a target set by an admin survives an editor saving the steps unchanged, but cannot be newly chosen', async () => {
    const set = await call(ADMIN, 'PUT', `/v1/cohorts/${own}/steps`, { steps: [{ name: 'In' }, { name: 'Next', action: { type: 'add_to_cohort', cohortId: bobsTarget } }] });
    expect(set.status).toBe(200);
    const [first, second] = set.body;
    const renamed = await call(alice.token, 'PUT', `/v1/cohorts/${own}/steps`, {
      steps: [{ id: first.id, name: 'Inbox' }, { id: second.id, name: 'Next', action: second.action }],
    });
    expect(renamed.status, JSON.stringify(renamed.body)).toBe(200);
    expect(renamed.body.map((s: { name: string }) => s.name)).toEqual(['Inbox', 'Next']);
    // On a new step the same target is still checked against the caller.
    const added = await call(alice.token, 'PUT', `/v1/cohorts/${own}/steps`, {
      steps: [{ id: first.id, name: 'Inbox' }, { id: second.id, name: 'Next', action: second.action }, { name: 'More', action: second.action }],
    });
    expect(added.status).toBe(400);
    expect(added.body.error.details[0].field).toBe('steps.2.action.cohortId');
  });
});
