import { describe, expect, it } from 'vitest';
import type { Role } from '../../schemas/principal';
import type { Me } from '../api/accounts';
import { permissionsOf } from './permissions';

const account = (id: string, role: Role) => ({
  id, email: `${id}@example.com`, name: id, role, disabled: false,
  createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z', lastLoginAt: null,
});
const me = (id: string, role: Role): Me => ({ account: account(id, role), role, via: 'session' });

describe('permissions from the role (docs/TEAMS.md)', () => {
  it('gives viewers reading only', () => {
    const p = permissionsOf(me('v', 'viewer'));
    expect([p.canWrite, p.canAdmin, p.canManageAccounts]).toEqual([false, false, false]);
    expect(p.grantableRoles).toEqual([]);
    // Even an editor collaborator cannot change a cohort while a viewer.
    expect(p.canEditCohort({ ownerId: 'x', collaborators: [{ accountId: 'v', role: 'editor' }] })).toBe(false);
  });

  it('lets members change cohorts they own or edit, and delete only their own', () => {
    const p = permissionsOf(me('m', 'member'));
    expect(p.canWrite).toBe(true);
    expect(p.canAdmin).toBe(false);
    expect(p.canEditCohort({ ownerId: 'm' })).toBe(true);
    expect(p.canOwnCohort({ ownerId: 'm' })).toBe(true);
    const shared = { ownerId: 'o', collaborators: [{ accountId: 'm', role: 'editor' as const }] };
    expect(p.canEditCohort(shared)).toBe(true);
    expect(p.canOwnCohort(shared)).toBe(false);
    expect(p.canEditCohort({ ownerId: 'o', collaborators: [{ accountId: 'm', role: 'viewer' }] })).toBe(false);
    expect(p.canEditCohort({ ownerId: null })).toBe(false);
  });

  it('lets admins do everything but touch owners or grant owner', () => {
    const p = permissionsOf(me('a', 'admin'));
    expect([p.canWrite, p.canAdmin, p.canManageAccounts]).toEqual([true, true, true]);
    expect(p.canEditCohort({ ownerId: 'someone' })).toBe(true);
    expect(p.canOwnCohort({ ownerId: null })).toBe(true);
    expect(p.canManageAccount({ role: 'member' })).toBe(true);
    expect(p.canManageAccount({ role: 'owner' })).toBe(false);
    expect(p.grantableRoles).toEqual(['viewer', 'member', 'admin']);
  });

  it('treats the bootstrap admin token as an owner', () => {
    const p = permissionsOf({ account: null, role: 'owner', via: 'admin_token' });
    expect(p.canManageAccount({ role: 'owner' })).toBe(true);
    expect(p.grantableRoles).toEqual(['viewer', 'member', 'admin', 'owner']);
    expect(p.canOwnCohort({ ownerId: 'anyone' })).toBe(true);
  });
});
