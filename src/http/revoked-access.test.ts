import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kohort } from '../main.js';
import { addMember, caller, startTeamKohort, type TeamMember } from './test-support/team.js';

/**
 * Access is checked when a saved thing is used (api.md, Security rules):
 * eve, once a collaborator of ann's cohorts, keeps nothing of them after
 * removal, neither through a cohort of her own that refers to one, nor
 * through a step action she saved while she was an editor.
 */
const ADMIN = 'kha_revoked_access_test';
let k: Kohort;
let call: ReturnType<typeof caller>;
let ann: TeamMember, eve: TeamMember;
let secret: string, target: string, evesRef: string, evesBoard: string;

const ok = (r: { status: number; body: any }) => {
  expect([200, 201, 204], JSON.stringify(r.body)).toContain(r.status);
  return r.body;
};

beforeAll(async () => {
  k = await startTeamKohort(ADMIN);
  call = caller(k);
  ok(await call(`${ADMIN}_write`, 'POST', '/v1/batch', { batch: ['u1', 'u2', 'u3'].map((userId) => ({ type: 'track', userId, event: 'signup' })) }));
  ann = await addMember(k, ADMIN, 'member', 'ann');
  eve = await addMember(k, ADMIN, 'member', 'eve');
  secret = ok(await call(ann.token, 'POST', '/v1/cohorts', { name: 'Ann secret list', kind: 'static' })).id;
  target = ok(await call(ann.token, 'POST', '/v1/cohorts', { name: 'Ann target list', kind: 'static' })).id;
  ok(await call(ann.token, 'POST', `/v1/cohorts/${secret}/members`, { userIds: ['u1'] }));
  ok(await call(ann.token, 'PUT', `/v1/cohorts/${secret}/collaborators/${eve.id}`, { role: 'viewer' }));
  ok(await call(ann.token, 'PUT', `/v1/cohorts/${target}/collaborators/${eve.id}`, { role: 'editor' }));

  evesRef = ok(await call(eve.token, 'POST', '/v1/cohorts', { name: 'Eve mirror', definition: { match: 'all', rules: [{ type: 'cohort', cohortId: secret }] } })).id;
  evesBoard = ok(await call(eve.token, 'POST', '/v1/cohorts', { name: 'Eve board', kind: 'static' })).id;
  ok(await call(eve.token, 'POST', `/v1/cohorts/${evesBoard}/members`, { userIds: ['u2', 'u3'] }));
});
afterAll(() => k?.close());

describe('a removed collaborator', () => {
  it('cannot read new members of a cohort through a cohort of her own that refers to it', async () => {
    expect(ok(await call(eve.token, 'POST', `/v1/cohorts/${evesRef}/refresh`)).size).toBe(1);
    ok(await call(ann.token, 'DELETE', `/v1/cohorts/${secret}/collaborators/${eve.id}`));
    ok(await call(ann.token, 'POST', `/v1/cohorts/${secret}/members`, { userIds: ['u2'] }));

    const refreshed = ok(await call(eve.token, 'POST', `/v1/cohorts/${evesRef}/refresh`));
    expect(refreshed.calculation.state).toBe('failed');
    expect(refreshed.calculation.lastError).toMatch(/can no longer see/);
    // The error names no hidden cohort, by id or by name.
    expect(refreshed.calculation.lastError).not.toContain(secret);
    expect(refreshed.calculation.lastError).not.toContain('Ann secret list');
    expect(ok(await call(eve.token, 'GET', `/v1/cohorts/${evesRef}/members`)).items).toEqual(['u1']);
    // Previewing through her cohort fails the same way (its owner is checked, not only the caller).
    const preview = await call(eve.token, 'POST', '/v1/cohorts/preview', { definition: { match: 'all', rules: [{ type: 'cohort', cohortId: evesRef }] } });
    expect(preview.status).toBe(403);
    expect(JSON.stringify(preview.body)).not.toContain(secret);
  });

  it('an admin-owned cohort referring to the same cohort keeps working', async () => {
    const mine = ok(await call(ADMIN, 'POST', '/v1/cohorts', { name: 'Admin mirror', definition: { match: 'all', rules: [{ type: 'cohort', cohortId: secret }] } })).id;
    const r = ok(await call(ADMIN, 'POST', `/v1/cohorts/${mine}/refresh`));
    expect(r.calculation.state).toBe('idle');
    expect(r.size).toBe(2);
  });

  it('no longer adds users through a step action saved while she was an editor', async () => {
    const steps = ok(await call(eve.token, 'PUT', `/v1/cohorts/${evesBoard}/steps`, {
      steps: [{ name: 'In' }, { name: 'Copy', action: { type: 'add_to_cohort', cohortId: target } }],
    }));
    // While she is an editor, the action works.
    ok(await call(eve.token, 'POST', `/v1/cohorts/${evesBoard}/cards/u2/move`, { stepId: steps[1].id }));
    await k.workflows.runner.drain();
    expect(ok(await call(ann.token, 'GET', `/v1/cohorts/${target}/members`)).items).toEqual(['u2']);
    // The step list, as shown, does not carry who saved it.
    expect(steps[1].action).toEqual({ type: 'add_to_cohort', cohortId: target });

    ok(await call(ann.token, 'DELETE', `/v1/cohorts/${target}/collaborators/${eve.id}`));
    ok(await call(eve.token, 'POST', `/v1/cohorts/${evesBoard}/cards/u3/move`, { stepId: steps[1].id }));
    await k.workflows.runner.drain();
    expect(ok(await call(ann.token, 'GET', `/v1/cohorts/${target}/members`)).items).toEqual(['u2']);
    const log = ok(await call(eve.token, 'GET', `/v1/cohorts/${evesBoard}/actions?userId=u3`)).items;
    expect(log[0]).toMatchObject({ status: 'failed', lastError: expect.stringContaining('can no longer change') });
    expect(log[0].lastError).not.toContain(target);
  });

  it('a 409 on delete does not name a referring cohort the caller cannot see', async () => {
    const r = await call(ann.token, 'DELETE', `/v1/cohorts/${secret}`);
    expect(r.status).toBe(409);
    expect(r.body.error.message).not.toContain('Eve mirror');
    expect(r.body.error.message).toContain('2 cohorts you cannot see');
    expect(JSON.stringify(r.body)).not.toContain(evesRef);
  });
});
