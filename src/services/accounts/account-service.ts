import {
  createAccountSchema,
  patchAccountSchema,
  patchMeSchema,
  type Account,
} from '../../schemas/accounts.js';
import { atLeast, type Principal, type Role } from '../../schemas/principal.js';
import { AccountExistsError, LastOwnerError, type AccountRecord, type AccountStore } from '../../storage/account-store.js';
import { conflict, forbidden, invalidInput, notFound, parseInput as parse } from '../errors.js';
import type { AuditLog } from './access-port.js';
import { newId, ownAccount, toAccount } from './account-records.js';
import { createCredentials, SESSION_PREFIX, tokenHash } from './credentials.js';
import { createLoginThrottle } from './login-throttle.js';
import type { SignInThrottle } from '../../storage/signin-throttle.js';
import { DEFAULT_SCRYPT, hashPassword, type ScryptParams } from './passwords.js';

export { API_TOKEN_PREFIX, SESSION_PREFIX, type CreatedToken, type LoginResult } from './credentials.js';
export { toAccount } from './account-records.js';

export interface AccountServiceDeps {
  /** The bootstrap admin token, so a browser signed in with it gets a session (never the token). */
  adminToken?: string;
  store: AccountStore;
  audit: AuditLog;
  now?: () => Date;
  /** Tests may lower the cost; stored hashes carry their own parameters. */
  scrypt?: ScryptParams;
  throttle?: SignInThrottle;
  /** After an account is deleted (e.g. drop its collaborations). */
  onDeleted?: (accountId: string) => Promise<void>;
}

const lastOwner = () => conflict('last_owner', 'The last enabled owner cannot be demoted, disabled or deleted; make another account owner first');

export type AccountService = ReturnType<typeof createAccountService>;

/** Accounts, sign-in, sessions and personal API tokens (docs/TEAMS.md, "Accounts and auth"). */
export function createAccountService(deps: AccountServiceDeps) {
  const { store, audit } = deps;
  const now = deps.now ?? (() => new Date());
  const params = deps.scrypt ?? DEFAULT_SCRYPT;
  const credentials = createCredentials({ adminToken: deps.adminToken, store, audit, now, params, throttle: deps.throttle ?? createLoginThrottle() });

  async function record(id: string): Promise<AccountRecord> {
    const a = await store.getAccount(id);
    if (!a) throw notFound('Account', id);
    return a;
  }

  function requireAdmin(actor: Principal, what: string) {
    if (!atLeast(actor.role, 'admin')) throw forbidden(`Only admins and owners can ${what}`);
  }

  const ownerGuard = async (write: () => Promise<void>) => {
    try {
      await write();
    } catch (err) {
      if (err instanceof LastOwnerError) throw lastOwner();
      throw err;
    }
  };

  const { checkPassword, ...signIn } = credentials;

  return {
    ...signIn,

    async getAccount(id: string): Promise<Account | null> {
      const a = await store.getAccount(id);
      return a ? toAccount(a) : null;
    },
    async findByEmail(email: string): Promise<Account | null> {
      const a = await store.findByEmail(email.trim().toLowerCase());
      return a ? toAccount(a) : null;
    },
    async list(): Promise<{ items: Account[] }> {
      return { items: (await store.listAccounts()).map(toAccount) };
    },
    async get(id: string): Promise<Account> {
      return toAccount(await record(id));
    },

    async create(actor: Principal, body: unknown): Promise<Account> {
      requireAdmin(actor, 'create accounts');
      const b = parse(createAccountSchema, body, 'account');
      if (b.role === 'owner' && actor.role !== 'owner') throw forbidden('Only an owner can create an owner');
      const at = now();
      const a: AccountRecord = {
        id: newId(),
        email: b.email,
        name: b.name,
        role: b.role,
        disabled: false,
        passwordHash: await hashPassword(b.password, params),
        createdAt: at,
        updatedAt: at,
        lastLoginAt: null,
      };
      try {
        await store.insertAccount(a);
      } catch (err) {
        if (err instanceof AccountExistsError) throw conflict('account_exists', `An account with the email ${b.email} exists`, { field: 'email' });
        throw err;
      }
      await audit.record({ actor, action: 'account.created', resourceType: 'account', resourceId: a.id, summary: `Created ${a.email} as ${a.role}` });
      return toAccount(a);
    },

    async patch(actor: Principal, id: string, body: unknown): Promise<Account> {
      requireAdmin(actor, 'change accounts');
      const b = parse(patchAccountSchema, body, 'account change');
      const before = await record(id);
      if (actor.role !== 'owner' && before.role === 'owner') throw forbidden("Only an owner can change an owner's account");
      if (actor.role !== 'owner' && b.role === 'owner') throw forbidden('Only an owner can grant the owner role');
      const passwordHash = b.password === undefined ? undefined : await hashPassword(b.password, params);
      // Sessions die with a new password or a disabled account (tokens are refused while disabled).
      const endSessions = b.password !== undefined || (b.disabled === true && !before.disabled) ? {} : undefined;
      await ownerGuard(() =>
        store.updateAccount(id, { name: b.name, role: b.role, disabled: b.disabled, passwordHash, updatedAt: now() }, { keepAnOwner: true, endSessions }),
      );
      const after = await record(id);
      const changes = [
        b.name !== undefined && before.name !== after.name ? `name "${before.name}" → "${after.name}"` : null,
        before.role !== after.role ? `role ${before.role} → ${after.role}` : null,
        before.disabled !== after.disabled ? (after.disabled ? 'disabled' : 'enabled') : null,
        b.password !== undefined ? 'password changed' : null,
      ].filter(Boolean);
      await audit.record({
        actor,
        action: 'account.updated',
        resourceType: 'account',
        resourceId: id,
        summary: `Updated ${after.email}: ${changes.length ? changes.join(', ') : 'no change'}`,
      });
      return toAccount(after);
    },

    async remove(actor: Principal, id: string): Promise<void> {
      requireAdmin(actor, 'delete accounts');
      const a = await record(id);
      if (actor.role !== 'owner' && a.role === 'owner') throw forbidden('Only an owner can delete an owner');
      await ownerGuard(() => store.deleteAccount(id, { keepAnOwner: true }));
      await deps.onDeleted?.(id);
      await audit.record({ actor, action: 'account.deleted', resourceType: 'account', resourceId: id, summary: `Deleted ${a.email}` });
    },

    async me(actor: Principal): Promise<{ account: Account | null; role: Role; via: Principal['via'] }> {
      if (!actor.accountId) return { account: null, role: actor.role, via: actor.via };
      return { account: toAccount(await ownAccount(store, actor)), role: actor.role, via: actor.via };
    },

    /** Own name and password; `currentToken` (the caller's session) survives a password change, other sessions end. */
    async patchMe(actor: Principal, body: unknown, currentToken?: string): Promise<Account> {
      const a = await ownAccount(store, actor);
      const b = parse(patchMeSchema, body, 'profile change');
      if (b.password !== undefined && !(await checkPassword(a.email, b.currentPassword!, a.passwordHash))) {
        throw invalidInput('The current password is not correct', [{ field: 'currentPassword', message: 'is not your current password' }]);
      }
      const passwordHash = b.password === undefined ? undefined : await hashPassword(b.password, params);
      const keep = actor.via === 'session' && currentToken?.startsWith(SESSION_PREFIX) ? tokenHash(currentToken) : undefined;
      await store.updateAccount(a.id, { name: b.name, passwordHash, updatedAt: now() }, { endSessions: b.password !== undefined ? { keep } : undefined });
      const changes = [b.name !== undefined && b.name !== a.name ? `name "${a.name}" → "${b.name}"` : null, b.password !== undefined ? 'password changed' : null];
      await audit.record({
        actor,
        action: 'account.updated',
        resourceType: 'account',
        resourceId: a.id,
        summary: `${a.email} updated own profile: ${changes.filter(Boolean).join(', ') || 'no change'}`,
      });
      return toAccount(await record(a.id));
    },
  };
}
