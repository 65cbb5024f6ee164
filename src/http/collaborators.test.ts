import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kohort } from '../main.js';
import { rawDuckDBFile } from '../storage/duckdb/test-support/raw-duckdb.js';
import { addMember, caller, startTeamKohort, type TeamMember } from './test-support/team.js';

/**
 * Cohort visibility and collaborators (docs/TEAMS.md): ann (member) owns A and
 * edits B (bob's); she is a viewer on T (made with the admin token); H is
 * hidden from both. vic has the viewer role and is a viewer on A.
 */
const ADMIN = 'kha_collaborators_test';
let k: Kohort;
let call: ReturnType<typeof caller>;
let ann: TeamMember, bob: TeamMember, vic: TeamMember, ada: TeamMember, off: TeamMember;
const c = { A: '', B: '', T: '', H: '' };
const sync = { A: '', H: '' };

const ok = (r: { status: number; body: any }, status = [200, 201, 204]) => {
  expect(status, JSON.stringify(r.body)).toContain(r.status);
  return r.body;
};
const asAdmin = async (method: string, url: string, body?: unknown) => ok(await call(ADMIN, method, url, body));
const ids = (items: { id: string }[]) => items.map((x) => x.id).sort();
const sorted = (...xs: string[]) => [...xs].sort();

beforeAll(async () => {
  k = await startTeamKohort(ADMIN);
  call = caller(k);
  ok(await call(`${ADMIN}_write`, 'POST', '/v1/batch', { batch: ['u1', 'u2'].map((userId) => ({ type: 'track', userId, event: 'signup' })) }));
  [ann, bob, vic, ada, off] = [
    await addMember(k, ADMIN, 'member', 'ann'),
    await addMember(k, ADMIN, 'member', 'bob'),
    await addMember(k, ADMIN, 'viewer', 'vic'),
    await addMember(k, ADMIN, 'admin', 'ada'),
    await addMember(k, ADMIN, 'member', 'off'),
  ];
  await asAdmin('PATCH', `/v1/accounts/${off.id}`, { disabled: true });

  c.A = ok(await call(ann.token, 'POST', '/v1/cohorts', { name: 'Ann list', kind: 'static', collaborators: [{ accountId: vic.id, role: 'viewer' }] })).id;
  c.B = ok(await call(bob.token, 'POST', '/v1/cohorts', { name: 'Bob list', kind: 'static' })).id;
  ok(await call(bob.token, 'PUT', `/v1/cohorts/${c.B}/collaborators/${ann.id}`, { role: 'editor' }));
  c.T = (await asAdmin('POST', '/v1/cohorts', { name: 'Token list', kind: 'static' })).id;
  await asAdmin('PUT', `/v1/cohorts/${c.T}/collaborators/${ann.id}`, { role: 'viewer' });
  c.H = (await asAdmin('POST', '/v1/cohorts', { name: 'Hidden list', kind: 'static' })).id;
  for (const id of Object.values(c)) await asAdmin('POST', `/v1/cohorts/${id}/members`, { userIds: ['u1'] });

  const d = await asAdmin('POST', '/v1/destinations', { name: 'Hook', type: 'webhook', config: { url: 'http://127.0.0.1:9/hook' } });
  sync.A = (await asAdmin('POST', '/v1/syncs', { cohortId: c.A, destinationId: d.id, frequency: 'daily' })).id;
  sync.H = (await asAdmin('POST', '/v1/syncs', { cohortId: c.H, destinationId: d.id, frequency: 'daily' })).id;
});
afterAll(() => k?.close());

describe('what a member sees', () => {
  it('lists owned and collaborated cohorts only, everywhere cohorts are listed', async () => {
    expect(ids(ok(await call(ann.token, 'GET', '/v1/cohorts')).items)).toEqual(sorted(c.A, c.B, c.T));
    expect(ids(ok(await call(ann.token, 'GET', '/2/cohorts')).cohorts)).toEqual(sorted(c.A, c.B, c.T));
    expect(ids(ok(await call(ann.token, 'GET', '/v1/users/u1')).cohorts)).toEqual(sorted(c.A, c.B, c.T));
    expect(ok(await call(ann.token, 'GET', '/v1/syncs')).map((s: { id: string }) => s.id)).toEqual([sync.A]);
    expect(ids(ok(await call(bob.token, 'GET', '/v1/cohorts')).items)).toEqual([c.B]);
    expect(ok(await call(bob.token, 'GET', '/v1/syncs'))).toEqual([]);
  });

  it('pages the visible cohorts with cursors that stay right', async () => {
    const first = ok(await call(ann.token, 'GET', '/v1/cohorts?limit=2&sort=name'));
    expect(first.items.map((x: { name: string }) => x.name)).toEqual(['Ann list', 'Bob list']);
    const rest = ok(await call(ann.token, 'GET', `/v1/cohorts?limit=2&sort=name&cursor=${first.nextCursor}`));
    expect(rest.items.map((x: { name: string }) => x.name)).toEqual(['Token list']);
    expect(rest.nextCursor).toBeNull();
  });

  it('?mine=true keeps the cohorts the caller owns (ownerless ones for the admin token)', async () => {
    expect(ids(ok(await call(ann.token, 'GET', '/v1/cohorts?mine=true')).items)).toEqual([c.A]);
    expect(ids((await asAdmin('GET', '/v1/cohorts?mine=true')).items)).toEqual(sorted(c.T, c.H));
    expect((await call(ann.token, 'GET', '/v1/cohorts?mine=yes')).body.error.details[0].field).toBe('mine');
  });

  it('answers an invisible cohort, its sync and its collaborators with 404, like unknown ids', async () => {
    for (const url of [`/v1/cohorts/${c.H}`, `/2/cohorts/${c.H}`, `/v1/cohorts/${c.H}/members`, `/v1/cohorts/${c.H}/collaborators`, `/v1/syncs/${sync.H}`]) {
      const r = await call(ann.token, 'GET', url);
      expect(r.status, url).toBe(404);
      expect(r.body.error.code).toBe('not_found');
    }
    const hidden = await call(ann.token, 'GET', `/v1/cohorts/${c.H}`);
    const unknown = await call(ann.token, 'GET', '/v1/cohorts/000000000000');
    expect(hidden.body.error.message.replace(c.H, 'ID')).toBe(unknown.body.error.message.replace('000000000000', 'ID'));
    expect((await call(ann.token, 'PUT', `/v1/cohorts/${c.H}/collaborators/${bob.id}`, { role: 'viewer' })).status).toBe(404);
  });

  it('cannot refer to a hidden cohort in a definition', async () => {
    const definition = { match: 'all', rules: [{ type: 'cohort', cohortId: c.H }] };
    const r = await call(ann.token, 'POST', '/v1/cohorts/preview', { definition });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('invalid_definition');
    expect(ok(await call(ada.token, 'POST', '/v1/cohorts/preview', { definition })).size).toBe(1);
  });
});

describe('collaborator levels', () => {
  it('shows the owner and the collaborators with email and name', async () => {
    const b = ok(await call(ann.token, 'GET', `/v1/cohorts/${c.B}`));
    expect(b.ownerId).toBe(bob.id);
    expect(b.collaborators).toEqual([{ accountId: ann.id, email: ann.email, name: expect.stringContaining('ann'), role: 'editor' }]);
    expect((await asAdmin('GET', `/v1/cohorts/${c.T}`)).ownerId).toBeNull();
    expect(ok(await call(ann.token, 'GET', `/v1/cohorts/${c.B}/collaborators`))).toEqual(b.collaborators);
  });

  it('an editor changes the cohort and its members, but neither deletes it nor invites', async () => {
    expect(ok(await call(ann.token, 'PATCH', `/v1/cohorts/${c.B}`, { description: 'edited by ann' })).description).toBe('edited by ann');
    expect(ok(await call(ann.token, 'POST', `/v1/cohorts/${c.B}/members`, { userIds: ['u2'] })).added).toBe(1);
    const del = await call(ann.token, 'DELETE', `/v1/cohorts/${c.B}`);
    expect(del.status).toBe(403);
    expect(del.body.error).toMatchObject({ code: 'forbidden', message: expect.stringContaining("cohort's owner") });
    expect((await call(ann.token, 'PUT', `/v1/cohorts/${c.B}/collaborators/${vic.id}`, { role: 'viewer' })).status).toBe(403);
    expect((await call(ann.token, 'DELETE', `/v1/cohorts/${c.B}/collaborators/${ann.id}`)).status).toBe(403);
  });

  it('a viewer collaborator only reads', async () => {
    expect(ok(await call(ann.token, 'GET', `/v1/cohorts/${c.T}/members`)).items).toEqual(['u1']);
    for (const [method, url, body] of [
      ['PATCH', `/v1/cohorts/${c.T}`, { description: 'no' }],
      ['POST', `/v1/cohorts/${c.T}/members`, { userIds: ['u2'] }],
      ['DELETE', `/v1/cohorts/${c.T}/members`, { userIds: ['u1'] }],
      ['POST', `/v1/cohorts/${c.T}/refresh`, undefined],
      ['PATCH', `/v1/syncs/${sync.A}`, { batchSize: 10 }],
    ] as const) {
      const who = url.includes('/syncs/') ? vic : ann; // vic views A, the sync's cohort
      const r = await call(who.token, method, url, body);
      expect(r.status, `${method} ${url}`).toBe(403);
      expect(r.body.error.code).toBe('forbidden');
    }
    expect(ok(await call(vic.token, 'GET', `/v1/syncs/${sync.A}`)).id).toBe(sync.A);
  });

  it('the viewer role caps an editor invitation to reading', async () => {
    ok(await call(ann.token, 'PUT', `/v1/cohorts/${c.A}/collaborators/${vic.id}`, { role: 'editor' }));
    expect((await call(vic.token, 'PATCH', `/v1/cohorts/${c.A}`, { description: 'no' })).status).toBe(403);
    expect(ok(await call(vic.token, 'GET', `/v1/cohorts/${c.A}`)).name).toBe('Ann list');
  });

  it('an admin sees and changes every cohort', async () => {
    expect(ids(ok(await call(ada.token, 'GET', '/v1/cohorts')).items)).toEqual(sorted(...Object.values(c)));
    expect(ok(await call(ada.token, 'PATCH', `/v1/cohorts/${c.H}`, { description: 'admin was here' })).description).toBe('admin was here');
    expect(ok(await call(ada.token, 'GET', '/v1/syncs')).length).toBe(2);
  });
});

describe('inviting', () => {
  it('needs an existing, enabled account other than the owner (400 naming the field)', async () => {
    for (const [accountId, message] of [
      ['no-such-account', 'does not exist'],
      [off.id, 'disabled'],
      [ann.id, 'owns the cohort'],
    ]) {
      const r = await call(ann.token, 'PUT', `/v1/cohorts/${c.A}/collaborators/${accountId}`, { role: 'viewer' });
      expect(r.status).toBe(400);
      expect(r.body.error.details).toEqual([{ field: 'accountId', message: expect.stringContaining(message) }]);
    }
    const badRole = await call(ann.token, 'PUT', `/v1/cohorts/${c.A}/collaborators/${bob.id}`, { role: 'owner' });
    expect(badRole.status).toBe(400);
    expect(badRole.body.error.details[0].field).toBe('role');
  });

  it('creates a cohort with invitees, or not at all when one is invalid', async () => {
    const made = ok(await call(ann.token, 'POST', '/v1/cohorts', { name: 'Shared', kind: 'static', collaborators: [{ accountId: bob.id, role: 'viewer' }] }));
    expect(made.collaborators).toEqual([expect.objectContaining({ accountId: bob.id, role: 'viewer' })]);
    expect(ok(await call(bob.token, 'GET', `/v1/cohorts/${made.id}`)).name).toBe('Shared');

    const before = (await asAdmin('GET', '/v1/cohorts?limit=200')).items.length;
    const bad = await call(ann.token, 'POST', '/v1/cohorts', {
      name: 'Broken',
      kind: 'static',
      collaborators: [{ accountId: bob.id, role: 'viewer' }, { accountId: 'ghost', role: 'editor' }],
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details).toEqual([{ field: 'collaborators.1.accountId', message: expect.stringContaining('does not exist') }]);
    expect((await asAdmin('GET', '/v1/cohorts?limit=200')).items.length).toBe(before);
    const twice = await call(ann.token, 'POST', '/v1/cohorts', { name: 'Twice', kind: 'static', collaborators: [{ accountId: bob.id, role: 'viewer' }, { accountId: bob.id, role: 'editor' }] });
    expect(twice.body.error.details[0].field).toBe('collaborators.1.accountId');
  });

  it('removing a collaborator hides the cohort again; removing twice is 404', async () => {
    const made = ok(await call(ann.token, 'POST', '/v1/cohorts', { name: 'Brief', kind: 'static', collaborators: [{ accountId: bob.id, role: 'editor' }] }));
    expect((await call(ann.token, 'DELETE', `/v1/cohorts/${made.id}/collaborators/${bob.id}`)).status).toBe(204);
    expect((await call(bob.token, 'GET', `/v1/cohorts/${made.id}`)).status).toBe(404);
    expect((await call(ann.token, 'DELETE', `/v1/cohorts/${made.id}/collaborators/${bob.id}`)).status).toBe(404);
  });

  it('deleting a cohort deletes its collaborators', async () => {
    const made = ok(await call(ann.token, 'POST', '/v1/cohorts', { name: 'Short-lived', kind: 'static', collaborators: [{ accountId: bob.id, role: 'viewer' }] }));
    const count = async () => Number((await rawDuckDBFile(k).reads.rows<{ n: bigint }>('SELECT count(*) AS n FROM cohort_collaborators WHERE cohort_id = ?', [made.id]))[0].n);
    expect(await count()).toBe(1);
    expect((await call(ann.token, 'DELETE', `/v1/cohorts/${made.id}`)).status).toBe(204);
    expect(await count()).toBe(0);
  });
});

describe('audit', () => {
  it('records cohort, member, collaborator, destination and sync changes, without secrets', async () => {
    const secret = `whsec_${Buffer.from('a very secret key!!').toString('base64')}`;
    const d = await asAdmin('POST', '/v1/destinations', { name: 'Signed', type: 'webhook', config: { url: 'http://127.0.0.1:9/x', secret } });
    await asAdmin('PATCH', `/v1/destinations/${d.id}`, { config: { secret } });
    expect((await asAdmin('POST', `/v1/destinations/${d.id}/test`)).ok).toBe(false); // nothing listens there
    const s = ok(await call(ann.token, 'POST', '/v1/syncs', { cohortId: c.A, destinationId: d.id, frequency: 'daily' }));
    ok(await call(ann.token, 'PATCH', `/v1/syncs/${s.id}`, { batchSize: 50 }));
    ok(await call(ann.token, 'DELETE', `/v1/syncs/${s.id}`));
    ok(await call(ann.token, 'POST', `/v1/cohorts/${c.A}/refresh`));
    ok(await call(ann.token, 'DELETE', `/v1/cohorts/${c.A}/members`, { userIds: ['u2'] }));
    await asAdmin('DELETE', `/v1/destinations/${d.id}`);

    const entries = (await asAdmin('GET', '/v1/audit?limit=200')).items as { action: string; actor: { accountId: string | null }; resourceId: string; summary: string }[];
    const actions = new Set(entries.map((e) => e.action));
    for (const a of ['cohort.created', 'cohort.updated', 'cohort.deleted', 'cohort.refreshed', 'cohort.members_added', 'cohort.members_removed',
      'cohort.collaborator_set', 'cohort.collaborator_removed', 'destination.created', 'destination.updated', 'destination.deleted', 'destination.tested',
      'sync.created', 'sync.updated', 'sync.deleted']) {
      expect(actions, a).toContain(a);
    }
    const created = entries.find((e) => e.action === 'cohort.created' && e.resourceId === c.A)!;
    expect(created.actor.accountId).toBe(ann.id);
    expect(created.summary).toContain('Ann list');
    expect(entries.find((e) => e.action === 'sync.created' && e.resourceId === s.id)!.summary).toContain('"Ann list"');
    expect(entries.find((e) => e.action === 'destination.updated' && e.resourceId === d.id)!.summary).toBe('Updated destination "Signed" (config)');
    expect(JSON.stringify(entries)).not.toContain(secret.slice(6));
    // Refused and failed requests change nothing and are not recorded.
    expect(entries.some((e) => e.action === 'cohort.deleted' && e.resourceId === c.B)).toBe(false);
  });
});
