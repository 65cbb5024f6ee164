import { createHash, randomBytes } from 'node:crypto';
import {
  createAccountSchema,
  createTokenSchema,
  loginSchema,
  patchAccountSchema,
  patchMeSchema,
  type Account,
  type ApiTokenInfo,
} from '../../schemas/accounts.js';
import { atLeast, type Principal, type Role } from '../../schemas/principal.js';
import { AccountExistsError, LastOwnerError, type AccountRecord, type AccountStore } from '../../storage/account-store.js';
import { conflict, forbidden, invalidInput, notFound, ServiceError, zodIssues } from '../errors.js';
import type { AuditLog } from './access-port.js';
import { createLoginThrottle, type LoginThrottle } from './login-throttle.js';
import { DEFAULT_SCRYPT, hashPassword, needsRehash, verifyPassword, type ScryptParams } from './passwords.js';

export const SESSION_PREFIX = 'kse_';
export const API_TOKEN_PREFIX = 'kpt_';
const SESSION_DAYS = 30;
const DAY_MS = 86_400_000;
/** Last-use writes are skipped within this interval, so reads do not each cost a write. */
const TOUCH_EVERY_MS = 60_000;
const MAX_TOKENS_PER_ACCOUNT = 50;

export interface AccountServiceDeps {
  store: AccountStore;
  audit: AuditLog;
  now?: () => Date;
  /** Tests may lower the cost; stored hashes carry their own parameters. */
  scrypt?: ScryptParams;
  throttle?: LoginThrottle;
}

export interface LoginResult {
  token: string;
  expiresAt: string;
  account: Account;
}

export interface CreatedToken {
  id: string;
  name: string;
  createdAt: string;
  /** Shown once; only its hash is kept. */
  token: string;
}

export const toAccount = (a: AccountRecord): Account => ({
  id: a.id,
  email: a.email,
  name: a.name,
  role: a.role,
  disabled: a.disabled,
  createdAt: a.createdAt.toISOString(),
  updatedAt: a.updatedAt.toISOString(),
  lastLoginAt: a.lastLoginAt ? a.lastLoginAt.toISOString() : null,
});

const sha256 = (token: string) => createHash('sha256').update(token).digest('hex');
/** Prefix + 32 random bytes as base64url (43 characters). */
const newToken = (prefix: string) => prefix + randomBytes(32).toString('base64url');
const newId = () => randomBytes(8).toString('hex');

function parse<T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } } }, v: unknown, what: string): T {
  const r = schema.safeParse(v ?? {});
  if (!r.success) throw invalidInput(`Invalid ${what}`, zodIssues(r.error.issues));
  return r.data;
}

const invalidCredentials = () => new ServiceError(401, 'invalid_credentials', 'The email or password is not correct');
const tooManyAttempts = (seconds: number) =>
  new ServiceError(429, 'too_many_attempts', `Too many failed attempts for this email; try again in ${seconds} s`, { retryAfterSeconds: seconds });
const lastOwner = () => conflict('last_owner', 'The last enabled owner cannot be demoted, disabled or deleted; make another account owner first');

export type AccountService = ReturnType<typeof createAccountService>;

/** Accounts, sign-in, sessions and personal API tokens (docs/TEAMS.md, "Accounts and auth"). */
export function createAccountService(deps: AccountServiceDeps) {
  const { store, audit } = deps;
  const now = deps.now ?? (() => new Date());
  const params = deps.scrypt ?? DEFAULT_SCRYPT;
  const throttle = deps.throttle ?? createLoginThrottle();
  // Unknown emails still pay for one scrypt, so timing does not tell which emails exist.
  let dummyHash: Promise<string> | undefined;

  const principalOf = (a: AccountRecord, via: 'session' | 'api_token'): Principal => ({ accountId: a.id, email: a.email, name: a.name, role: a.role, via });

  async function record(id: string): Promise<AccountRecord> {
    const a = await store.getAccount(id);
    if (!a) throw notFound('Account', id);
    return a;
  }

  async function own(actor: Principal): Promise<AccountRecord> {
    if (!actor.accountId) throw forbidden('The bootstrap admin token has no profile or personal tokens; sign in with an account');
    const a = await store.getAccount(actor.accountId);
    if (!a) throw notFound('Account', actor.accountId);
    return a;
  }

  function requireAdmin(actor: Principal, what: string) {
    if (!atLeast(actor.role, 'admin')) throw forbidden(`Only admins and owners can ${what}`);
  }

  /** Checks the throttle, then the password; counts a failure on a mismatch. */
  async function checkPassword(email: string, password: string, hash: string | undefined): Promise<boolean> {
    const wait = throttle.retryAfter(email, now().getTime());
    if (wait > 0) throw tooManyAttempts(wait);
    const ok = await verifyPassword(password, hash ?? (await (dummyHash ??= hashPassword('kohort-no-such-account', params))));
    if (ok && hash) {
      throttle.clear(email);
      return true;
    }
    throttle.fail(email, now().getTime());
    return false;
  }

  const writeAccount = async (a: AccountRecord, guard: boolean) => {
    try {
      await store.updateAccount(a, { keepAnOwner: guard });
    } catch (err) {
      if (err instanceof LastOwnerError) throw lastOwner();
      throw err;
    }
  };

  return {
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
      const after: AccountRecord = {
        ...before,
        name: b.name ?? before.name,
        role: b.role ?? before.role,
        disabled: b.disabled ?? before.disabled,
        passwordHash: b.password === undefined ? before.passwordHash : await hashPassword(b.password, params),
        updatedAt: now(),
      };
      const wasActiveOwner = before.role === 'owner' && !before.disabled;
      await writeAccount(after, wasActiveOwner);
      // Sessions die with a new password or a disabled account (tokens are refused while disabled).
      if (b.password !== undefined || (after.disabled && !before.disabled)) await store.deleteSessionsOf(id);
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
      try {
        await store.deleteAccount(id, { keepAnOwner: a.role === 'owner' && !a.disabled });
      } catch (err) {
        if (err instanceof LastOwnerError) throw lastOwner();
        throw err;
      }
      await audit.record({ actor, action: 'account.deleted', resourceType: 'account', resourceId: id, summary: `Deleted ${a.email}` });
    },

    async login(body: unknown): Promise<LoginResult> {
      const b = parse(loginSchema, body, 'sign-in');
      const a = await store.findByEmail(b.email);
      if (!(await checkPassword(b.email, b.password, a?.passwordHash)) || !a) throw invalidCredentials();
      if (a.disabled) throw forbidden('This account is disabled; ask an admin to enable it');
      const at = now();
      const token = newToken(SESSION_PREFIX);
      const expiresAt = new Date(at.getTime() + SESSION_DAYS * DAY_MS);
      await store.deleteExpiredSessions(at);
      await store.insertSession({ tokenHash: sha256(token), accountId: a.id, createdAt: at, lastUsedAt: at, expiresAt });
      const updated = { ...a, lastLoginAt: at };
      // Raised cost parameters apply to each account at its next sign-in.
      if (needsRehash(a.passwordHash, params)) updated.passwordHash = await hashPassword(b.password, params);
      await store.updateAccount(updated);
      await audit.record({ actor: principalOf(a, 'session'), action: 'auth.login', resourceType: 'account', resourceId: a.id, summary: `${a.email} signed in` });
      return { token, expiresAt: expiresAt.toISOString(), account: toAccount(updated) };
    },

    /** Ends the session of `token` (a no-op for API tokens and the bootstrap token). */
    async logout(actor: Principal, token: string): Promise<void> {
      if (actor.via !== 'session' || !token.startsWith(SESSION_PREFIX)) return;
      await store.deleteSession(sha256(token));
      await audit.record({ actor, action: 'auth.logout', resourceType: 'account', resourceId: actor.accountId, summary: `${actor.email} signed out` });
    },

    /** Session or personal API token → principal; null when unknown, expired, or the account is disabled or gone. */
    async resolveToken(token: string): Promise<Principal | null> {
      const at = now();
      if (token.startsWith(SESSION_PREFIX)) {
        const s = await store.getSession(sha256(token));
        if (!s) return null;
        if (s.expiresAt.getTime() <= at.getTime()) {
          await store.deleteSession(s.tokenHash);
          return null;
        }
        const a = await store.getAccount(s.accountId);
        if (!a || a.disabled) return null;
        if (at.getTime() - s.lastUsedAt.getTime() >= TOUCH_EVERY_MS) {
          await store.touchSession(s.tokenHash, at, new Date(at.getTime() + SESSION_DAYS * DAY_MS));
        }
        return principalOf(a, 'session');
      }
      if (token.startsWith(API_TOKEN_PREFIX)) {
        const t = await store.getTokenByHash(sha256(token));
        if (!t) return null;
        const a = await store.getAccount(t.accountId);
        if (!a || a.disabled) return null;
        if (!t.lastUsedAt || at.getTime() - t.lastUsedAt.getTime() >= TOUCH_EVERY_MS) await store.touchToken(t.id, at);
        return principalOf(a, 'api_token');
      }
      return null;
    },

    async me(actor: Principal): Promise<{ account: Account | null; role: Role; via: Principal['via'] }> {
      if (!actor.accountId) return { account: null, role: actor.role, via: actor.via };
      return { account: toAccount(await own(actor)), role: actor.role, via: actor.via };
    },

    /** Own name and password; `currentToken` (the caller's session) survives a password change, other sessions end. */
    async patchMe(actor: Principal, body: unknown, currentToken?: string): Promise<Account> {
      const a = await own(actor);
      const b = parse(patchMeSchema, body, 'profile change');
      if (b.password !== undefined && !(await checkPassword(a.email, b.currentPassword!, a.passwordHash))) {
        throw invalidInput('The current password is not correct', [{ field: 'currentPassword', message: 'is not your current password' }]);
      }
      const after: AccountRecord = {
        ...a,
        name: b.name ?? a.name,
        passwordHash: b.password === undefined ? a.passwordHash : await hashPassword(b.password, params),
        updatedAt: now(),
      };
      await store.updateAccount(after);
      if (b.password !== undefined) {
        const keep = actor.via === 'session' && currentToken?.startsWith(SESSION_PREFIX) ? sha256(currentToken) : undefined;
        await store.deleteSessionsOf(a.id, keep);
      }
      const changes = [b.name !== undefined && b.name !== a.name ? `name "${a.name}" → "${b.name}"` : null, b.password !== undefined ? 'password changed' : null];
      await audit.record({
        actor,
        action: 'account.updated',
        resourceType: 'account',
        resourceId: a.id,
        summary: `${a.email} updated own profile: ${changes.filter(Boolean).join(', ') || 'no change'}`,
      });
      return toAccount(after);
    },

    async listTokens(actor: Principal): Promise<ApiTokenInfo[]> {
      const a = await own(actor);
      return (await store.listTokens(a.id)).map((t) => ({
        id: t.id,
        name: t.name,
        createdAt: t.createdAt.toISOString(),
        lastUsedAt: t.lastUsedAt ? t.lastUsedAt.toISOString() : null,
      }));
    },

    async createToken(actor: Principal, body: unknown): Promise<CreatedToken> {
      const a = await own(actor);
      const b = parse(createTokenSchema, body, 'token');
      if ((await store.listTokens(a.id)).length >= MAX_TOKENS_PER_ACCOUNT) {
        throw conflict('too_many_tokens', `An account holds at most ${MAX_TOKENS_PER_ACCOUNT} tokens; revoke one first`);
      }
      const token = newToken(API_TOKEN_PREFIX);
      const t = { id: newId(), accountId: a.id, name: b.name, tokenHash: sha256(token), createdAt: now(), lastUsedAt: null };
      await store.insertToken(t);
      await audit.record({ actor, action: 'token.created', resourceType: 'api_token', resourceId: t.id, summary: `${a.email} created token "${t.name}"` });
      return { id: t.id, name: t.name, createdAt: t.createdAt.toISOString(), token };
    },

    async revokeToken(actor: Principal, id: string): Promise<void> {
      const a = await own(actor);
      if (!(await store.deleteToken(a.id, id))) throw notFound('Token', id);
      await audit.record({ actor, action: 'token.revoked', resourceType: 'api_token', resourceId: id, summary: `${a.email} revoked a token` });
    },
  };
}
