import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BOOTSTRAP_PRINCIPAL, type Principal } from '../../schemas/principal.js';
import type { AccountStore } from '../../storage/account-store.js';
import { ACCOUNT_MIGRATIONS } from '../../storage/duckdb/account-migrations.js';
import { createDuckDBAccountStore } from '../../storage/duckdb/account-store.js';
import { openDatabase, type Database } from '../../storage/duckdb/database.js';
import { ServiceError } from '../errors.js';
import { createAccountService, type AccountService } from './account-service.js';
import { createAuditService, type AuditService } from './audit.js';

const DAY = 86_400_000;
const FAST = { N: 1024, r: 8, p: 1 };

let db: Database;
let clock: number;
let audit: AuditService;
let svc: AccountService;
let store: AccountStore;

beforeEach(async () => {
  db = await openDatabase(':memory:', [ACCOUNT_MIGRATIONS], { readConnections: 1 });
  clock = Date.parse('2026-01-01T00:00:00Z');
  store = createDuckDBAccountStore(db, await db.connect());
  const now = () => new Date(clock);
  audit = createAuditService(store, { now });
  svc = createAccountService({ store, audit, now, scrypt: FAST });
});
afterEach(() => db.close());

async function expectServiceError(p: Promise<unknown>, status: number, code: string) {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ServiceError);
  expect({ status: (err as ServiceError).status, code: (err as ServiceError).code }).toEqual({ status, code });
  return err as ServiceError;
}

async function account(role: Principal['role'], email = `${role}@x.io`, password = 'password-123') {
  const a = await svc.create(BOOTSTRAP_PRINCIPAL, { email, name: role, role, password });
  const principal = (await svc.resolveToken((await svc.login({ email, password })).token))!;
  return { a, principal };
}

describe('account service', () => {
  it('creates accounts with lower-cased emails, refuses a taken email in any case', async () => {
    const a = await svc.create(BOOTSTRAP_PRINCIPAL, { email: ' Ann@Example.IO ', name: 'Ann', role: 'member', password: 'password-123' });
    expect(a).toMatchObject({ email: 'ann@example.io', role: 'member', disabled: false, lastLoginAt: null });
    expect(Object.keys(a).sort()).toEqual(['createdAt', 'disabled', 'email', 'id', 'lastLoginAt', 'name', 'role', 'updatedAt']);
    await expectServiceError(svc.create(BOOTSTRAP_PRINCIPAL, { email: 'ANN@example.io', name: 'B', role: 'viewer', password: 'password-123' }), 409, 'account_exists');
    expect((await svc.findByEmail('ANN@EXAMPLE.IO'))?.id).toBe(a.id);
    expect(await svc.getAccount('nope')).toBeNull();
  });

  it('names the fields at fault', async () => {
    const err = await expectServiceError(svc.create(BOOTSTRAP_PRINCIPAL, { email: 'not-an-email', name: '', role: 'boss', password: 'short' }), 400, 'invalid_input');
    expect((err.details as { field: string }[]).map((d) => d.field).sort()).toEqual(['email', 'name', 'password', 'role']);
  });

  it('sessions slide: 30 days from last use, then gone', async () => {
    await svc.create(BOOTSTRAP_PRINCIPAL, { email: 'a@x.io', name: 'A', role: 'member', password: 'password-123' });
    const { token, expiresAt } = await svc.login({ email: 'a@x.io', password: 'password-123' });
    expect(token).toMatch(/^kse_[A-Za-z0-9_-]{43}$/);
    expect(Date.parse(expiresAt)).toBe(clock + 30 * DAY);
    clock += 29 * DAY;
    expect(await svc.resolveToken(token)).toMatchObject({ email: 'a@x.io', role: 'member', via: 'session' });
    clock += 29 * DAY; // 58 days after login, 29 after last use
    expect(await svc.resolveToken(token)).not.toBeNull();
    clock += 30 * DAY + 1;
    expect(await svc.resolveToken(token)).toBeNull();
    expect(await svc.resolveToken('kse_unknown')).toBeNull();
    expect(await svc.resolveToken('something-else')).toBeNull();
  });

  it('a disabled account loses its sessions and tokens; sign-in says it is disabled only with the right password', async () => {
    const { a, principal } = await account('member');
    const session = (await svc.login({ email: a.email, password: 'password-123' })).token;
    const api = (await svc.createToken(principal, { name: 'ci' })).token;
    await svc.patch(BOOTSTRAP_PRINCIPAL, a.id, { disabled: true });
    expect(await svc.resolveToken(session)).toBeNull();
    expect(await svc.resolveToken(api)).toBeNull();
    await expectServiceError(svc.login({ email: a.email, password: 'wrong-password' }), 401, 'invalid_credentials');
    await expectServiceError(svc.login({ email: a.email, password: 'password-123' }), 403, 'forbidden');
    // Enabled again: the token works again, the ended session does not.
    await svc.patch(BOOTSTRAP_PRINCIPAL, a.id, { disabled: false });
    expect(await svc.resolveToken(api)).toMatchObject({ via: 'api_token', accountId: a.id });
    expect(await svc.resolveToken(session)).toBeNull();
  });

  it('changing one\'s password needs the current one, keeps this session and ends the others', async () => {
    const { a } = await account('viewer');
    const here = (await svc.login({ email: a.email, password: 'password-123' })).token;
    const there = (await svc.login({ email: a.email, password: 'password-123' })).token;
    const me = (await svc.resolveToken(here))!;
    const missing = await expectServiceError(svc.patchMe(me, { password: 'new-password-456' }, here), 400, 'invalid_input');
    expect(JSON.stringify(missing.details)).toContain('currentPassword');
    const wrong = await expectServiceError(svc.patchMe(me, { password: 'new-password-456', currentPassword: 'nope-nope-nope' }, here), 400, 'invalid_input');
    expect(JSON.stringify(wrong.details)).toContain('currentPassword');
    expect(await svc.resolveToken(there)).not.toBeNull();
    await svc.patchMe(me, { password: 'new-password-456', currentPassword: 'password-123' }, here);
    expect(await svc.resolveToken(here)).not.toBeNull();
    expect(await svc.resolveToken(there)).toBeNull();
    await expectServiceError(svc.login({ email: a.email, password: 'password-123' }), 401, 'invalid_credentials');
    expect((await svc.login({ email: a.email, password: 'new-password-456' })).account.id).toBe(a.id);
  });

  it('an admin setting a password ends every session of that account', async () => {
    const { a } = await account('member');
    const s = (await svc.login({ email: a.email, password: 'password-123' })).token;
    await svc.patch(BOOTSTRAP_PRINCIPAL, a.id, { password: 'reset-by-admin' });
    expect(await svc.resolveToken(s)).toBeNull();
  });

  it('admins cannot create, change or delete owners, nor grant owner; owners can', async () => {
    const { principal: owner } = await account('owner');
    const { principal: admin } = await account('admin');
    const other = await svc.create(owner, { email: 'o2@x.io', name: 'O2', role: 'owner', password: 'password-123' });
    const m = await svc.create(admin, { email: 'm@x.io', name: 'M', role: 'member', password: 'password-123' });
    await expectServiceError(svc.create(admin, { email: 'o3@x.io', name: 'O3', role: 'owner', password: 'password-123' }), 403, 'forbidden');
    await expectServiceError(svc.patch(admin, m.id, { role: 'owner' }), 403, 'forbidden');
    await expectServiceError(svc.patch(admin, other.id, { name: 'Renamed' }), 403, 'forbidden');
    await expectServiceError(svc.remove(admin, other.id), 403, 'forbidden');
    expect((await svc.patch(admin, m.id, { role: 'admin' })).role).toBe('admin');
    expect((await svc.patch(owner, m.id, { role: 'owner' })).role).toBe('owner');
    await svc.remove(owner, other.id);
    expect(await svc.getAccount(other.id)).toBeNull();
  });

  it('members and viewers cannot manage accounts', async () => {
    const { principal: member } = await account('member');
    await expectServiceError(svc.create(member, { email: 'v@x.io', name: 'V', role: 'viewer', password: 'password-123' }), 403, 'forbidden');
    await expectServiceError(svc.remove(member, member.accountId!), 403, 'forbidden');
  });

  it('keeps one enabled owner: the last cannot be demoted, disabled or deleted', async () => {
    const { a: first, principal: owner } = await account('owner');
    await expectServiceError(svc.patch(owner, first.id, { role: 'admin' }), 409, 'last_owner');
    await expectServiceError(svc.patch(owner, first.id, { disabled: true }), 409, 'last_owner');
    await expectServiceError(svc.remove(owner, first.id), 409, 'last_owner');
    expect(await svc.getAccount(first.id)).toMatchObject({ role: 'owner', disabled: false });
    // A disabled second owner does not count; an enabled one does.
    const second = await svc.create(owner, { email: 'o2@x.io', name: 'O2', role: 'owner', password: 'password-123' });
    await svc.patch(owner, second.id, { disabled: true });
    await expectServiceError(svc.patch(owner, first.id, { role: 'member' }), 409, 'last_owner');
    await svc.patch(owner, second.id, { disabled: false });
    expect((await svc.patch(owner, first.id, { role: 'member' })).role).toBe('member');
  });

  it('with no owner yet (bootstrap made only admins), admins can still be changed', async () => {
    const a = await svc.create(BOOTSTRAP_PRINCIPAL, { email: 'a@x.io', name: 'A', role: 'admin', password: 'password-123' });
    expect((await svc.patch(BOOTSTRAP_PRINCIPAL, a.id, { name: 'Admin A' })).name).toBe('Admin A');
  });

  it('personal tokens: shown once, listed without the secret, revoked', async () => {
    const { principal } = await account('member');
    const t = await svc.createToken(principal, { name: 'ci' });
    expect(t.token).toMatch(/^kpt_[A-Za-z0-9_-]{43}$/);
    const listed = await svc.listTokens(principal);
    expect(listed).toEqual([{ id: t.id, name: 'ci', createdAt: t.createdAt, lastUsedAt: null }]);
    expect(await svc.resolveToken(t.token)).toMatchObject({ accountId: principal.accountId, via: 'api_token' });
    expect((await svc.listTokens(principal))[0].lastUsedAt).not.toBeNull();
    const { principal: someoneElse } = await account('admin');
    await expectServiceError(svc.revokeToken(someoneElse, t.id), 404, 'not_found');
    await svc.revokeToken(principal, t.id);
    expect(await svc.resolveToken(t.token)).toBeNull();
    expect(await svc.listTokens(principal)).toEqual([]);
    await expectServiceError(svc.createToken(BOOTSTRAP_PRINCIPAL, { name: 'x' }), 403, 'forbidden');
  });

  it('deleting an account ends its sessions and tokens', async () => {
    const { a, principal } = await account('member');
    const s = (await svc.login({ email: a.email, password: 'password-123' })).token;
    const t = (await svc.createToken(principal, { name: 'ci' })).token;
    await svc.remove(BOOTSTRAP_PRINCIPAL, a.id);
    expect(await svc.resolveToken(s)).toBeNull();
    expect(await svc.resolveToken(t)).toBeNull();
  });

  it('throttles sign-in per email: 10 failures in 15 minutes, then 429 even with the right password', async () => {
    await svc.create(BOOTSTRAP_PRINCIPAL, { email: 'a@x.io', name: 'A', role: 'member', password: 'password-123' });
    for (let i = 0; i < 10; i++) await expectServiceError(svc.login({ email: 'A@x.io', password: `wrong-${i}` }), 401, 'invalid_credentials');
    const err = await expectServiceError(svc.login({ email: 'a@x.io', password: 'password-123' }), 429, 'too_many_attempts');
    expect(err.details).toEqual({ retryAfterSeconds: 15 * 60 });
    clock += 15 * 60_000 + 1;
    expect((await svc.login({ email: 'a@x.io', password: 'password-123' })).token).toMatch(/^kse_/);
  });

  it('throttles parallel guesses too: attempts count before the password is hashed', async () => {
    await svc.create(BOOTSTRAP_PRINCIPAL, { email: 'p@x.io', name: 'P', role: 'member', password: 'password-123' });
    const tries = await Promise.allSettled(Array.from({ length: 30 }, (_, i) => svc.login({ email: 'p@x.io', password: `guess-${i}` })));
    const codes = tries.map((t) => (t.status === 'rejected' ? (t.reason as { code: string }).code : 'ok'));
    expect(codes.filter((c) => c === 'invalid_credentials')).toHaveLength(10);
    expect(codes.filter((c) => c === 'too_many_attempts')).toHaveLength(20);
  });

  it('records changes in the audit log without passwords or hashes', async () => {
    const { a, principal } = await account('admin', 'adm@x.io', 'secret-password-1');
    await svc.patch(principal, a.id, { password: 'secret-password-2', name: 'Adm' });
    await svc.createToken(principal, { name: 'deploy' });
    const { items } = await audit.list({});
    expect(items.map((e) => e.action)).toEqual(['token.created', 'account.updated', 'auth.login', 'account.created']);
    expect(items[1]).toMatchObject({ actor: { accountId: a.id, email: 'adm@x.io', via: 'session' }, resourceType: 'account', resourceId: a.id });
    expect(items[1].summary).toContain('password changed');
    const all = JSON.stringify(items);
    expect(all).not.toContain('secret-password');
    expect(all).not.toContain('scrypt');
    expect(all).not.toMatch(/kpt_|kse_/);
  });

  it('a sign-in racing a disable neither enables the account again nor leaves a session', async () => {
    const { a } = await account('member');
    let during: (() => Promise<unknown>) | undefined;
    // The sign-in reads the account, then the admin disables it before the sign-in writes.
    const racing = createAccountService({
      store: { ...store, findByEmail: async (e) => { const r = await store.findByEmail(e); await during?.(); return r; } },
      audit,
      now: () => new Date(clock),
      scrypt: FAST,
    });
    during = () => svc.patch(BOOTSTRAP_PRINCIPAL, a.id, { disabled: true });
    await expectServiceError(racing.login({ email: a.email, password: 'password-123' }), 403, 'forbidden');
    expect((await svc.getAccount(a.id))?.disabled).toBe(true);
    // No session was left behind to come back when the account is enabled again.
    await svc.patch(BOOTSTRAP_PRINCIPAL, a.id, { disabled: false });
    expect(await db.reads.rows('SELECT * FROM sessions WHERE account_id = ?', [a.id])).toHaveLength(0);
  });

  it('tells the composition root when an account is deleted', async () => {
    const deleted: string[] = [];
    const withHook = createAccountService({ store, audit, scrypt: FAST, onDeleted: async (id) => void deleted.push(id) });
    const a = await withHook.create(BOOTSTRAP_PRINCIPAL, { email: 'gone@x.io', name: 'Gone', role: 'viewer', password: 'password-123' });
    await withHook.remove(BOOTSTRAP_PRINCIPAL, a.id);
    expect(deleted).toEqual([a.id]);
    await expectServiceError(withHook.remove(BOOTSTRAP_PRINCIPAL, a.id), 404, 'not_found');
    expect(deleted).toEqual([a.id]);
  });
});
