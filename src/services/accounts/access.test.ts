import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal, Role } from '../../schemas/principal.js';
import { BOOTSTRAP_PRINCIPAL } from '../../schemas/principal.js';
import type { CollaboratorStore } from '../../storage/collaborator-store.js';
import { COLLABORATOR_MIGRATIONS } from '../../storage/duckdb/collaborator-migrations.js';
import { createDuckDBCollaboratorStore } from '../../storage/duckdb/collaborator-store.js';
import { openDatabase, type Database } from '../../storage/duckdb/database.js';
import { ServiceError } from '../errors.js';
import { createAccess } from './access.js';
import type { Access } from './access-port.js';

const who = (accountId: string, role: Role): Principal => ({ accountId, email: `${accountId}@x.io`, name: accountId, role, via: 'session' });

const cohorts = [
  { id: 'c-ann', ownerId: 'ann' },
  { id: 'c-bob', ownerId: 'bob' },
  { id: 'c-token', ownerId: null },
  { id: 'c-old' }, // made before cohorts had owners
];

let db: Database;
let store: CollaboratorStore;
let access: Access;

beforeAll(async () => {
  db = await openDatabase(':memory:', [COLLABORATOR_MIGRATIONS]);
  store = createDuckDBCollaboratorStore(await db.connect());
  access = createAccess({
    cohorts: { get: async (id) => cohorts.find((c) => c.id === id), idsOwnedBy: async (a) => cohorts.filter((c) => c.ownerId === a).map((c) => c.id) },
    collaborators: store,
  });
  const at = new Date('2026-01-01T00:00:00Z');
  await store.set('c-bob', 'ann', 'editor', at);
  await store.set('c-token', 'ann', 'viewer', at);
  await store.set('c-bob', 'vic', 'editor', at); // a viewer-role account invited as editor
});
afterAll(() => db.close());

async function refusal(p: Promise<unknown>): Promise<{ status: number; code: string; message: string }> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(ServiceError);
  const e = err as ServiceError;
  return { status: e.status, code: e.code, message: e.message };
}

describe('cohort levels', () => {
  it.each([
    ['owner of the instance', BOOTSTRAP_PRINCIPAL, 'c-bob', 'owner'],
    ['admin', who('ada', 'admin'), 'c-old', 'owner'],
    ['member owning the cohort', who('ann', 'member'), 'c-ann', 'owner'],
    ['member, editor collaborator', who('ann', 'member'), 'c-bob', 'edit'],
    ['member, viewer collaborator', who('ann', 'member'), 'c-token', 'read'],
    ['member with no tie', who('ann', 'member'), 'c-old', 'none'],
    ['viewer invited as editor (role caps)', who('vic', 'viewer'), 'c-bob', 'read'],
    ['viewer owning a cohort (role caps)', who('ann', 'viewer'), 'c-ann', 'read'],
    ['member, unknown cohort', who('ann', 'member'), 'nope', 'none'],
  ] as const)('%s', async (_what, p, cohortId, level) => {
    expect(await access.cohortLevel(p, cohortId)).toBe(level);
  });
});

describe('requireCohort', () => {
  it('answers an invisible cohort with 404 not_found, like an unknown id', async () => {
    const hidden = await refusal(access.requireCohort(who('bob', 'member'), 'c-ann', 'read'));
    const unknown = await refusal(access.requireCohort(who('bob', 'member'), 'zzz', 'read'));
    expect(hidden).toMatchObject({ status: 404, code: 'not_found' });
    expect(unknown).toMatchObject({ status: 404, code: 'not_found' });
  });

  it('answers a visible cohort below the needed level with 403 naming what is needed', async () => {
    const edit = await refusal(access.requireCohort(who('ann', 'member'), 'c-token', 'edit'));
    expect(edit).toMatchObject({ status: 403, code: 'forbidden' });
    expect(edit.message).toContain('editor collaborator');
    const del = await refusal(access.requireCohort(who('ann', 'member'), 'c-bob', 'owner'));
    expect(del).toMatchObject({ status: 403, code: 'forbidden' });
    expect(del.message).toContain("cohort's owner");
  });

  it('lets a principal through at or above the needed level', async () => {
    await expect(access.requireCohort(who('ann', 'member'), 'c-bob', 'edit')).resolves.toBeUndefined();
    await expect(access.requireCohort(who('ann', 'member'), 'c-ann', 'owner')).resolves.toBeUndefined();
    await expect(access.requireCohort(who('ada', 'admin'), 'c-ann', 'owner')).resolves.toBeUndefined();
  });
});

describe('requireRole', () => {
  it('refuses below the role with 403 naming the role, and passes at or above it', () => {
    let caught: unknown;
    try {
      access.requireRole(who('ann', 'member'), 'admin', 'Creating a destination');
    } catch (e) {
      caught = e;
    }
    expect(caught).toMatchObject({ status: 403, code: 'forbidden' });
    expect((caught as Error).message).toMatch(/Creating a destination needs the admin role/);
    expect(() => access.requireRole(who('ada', 'admin'), 'admin', 'x')).not.toThrow();
    expect(() => access.requireRole(BOOTSTRAP_PRINCIPAL, 'owner', 'x')).not.toThrow();
  });
});

describe('visibleCohorts', () => {
  it('is everything for admins and owners', async () => {
    expect(await access.visibleCohorts(who('ada', 'admin'))).toBe('all');
    expect(await access.visibleCohorts(BOOTSTRAP_PRINCIPAL)).toBe('all');
  });

  it('is owned plus collaborated cohorts for others', async () => {
    expect(await access.visibleCohorts(who('ann', 'member'))).toEqual(new Set(['c-ann', 'c-bob', 'c-token']));
    expect(await access.visibleCohorts(who('vic', 'viewer'))).toEqual(new Set(['c-bob']));
    expect(await access.visibleCohorts(who('nobody', 'member'))).toEqual(new Set());
  });

  it('follows changes of the collaborator store at once', async () => {
    const at = new Date();
    await store.set('c-old', 'zed', 'viewer', at);
    expect(await access.cohortLevel(who('zed', 'member'), 'c-old')).toBe('read');
    await store.set('c-old', 'zed', 'editor', at);
    expect(await access.cohortLevel(who('zed', 'member'), 'c-old')).toBe('edit');
    expect(await store.listForCohort('c-old')).toEqual([{ cohortId: 'c-old', accountId: 'zed', role: 'editor' }]);
    expect(await store.remove('c-old', 'zed')).toBe(true);
    expect(await store.remove('c-old', 'zed')).toBe(false);
    expect(await access.cohortLevel(who('zed', 'member'), 'c-old')).toBe('none');
  });

  it('forgets a deleted cohort and a deleted account', async () => {
    const at = new Date();
    await store.setMany('gone', [{ accountId: 'p', role: 'viewer' }, { accountId: 'q', role: 'editor' }], at);
    await store.set('c-ann', 'q', 'viewer', at);
    await store.removeCohort('gone');
    expect(await store.listForCohort('gone')).toEqual([]);
    expect((await store.listForAccount('q')).map((r) => r.cohortId)).toEqual(['c-ann']);
    await store.removeAccount('q');
    expect(await store.listForAccount('q')).toEqual([]);
  });
});
