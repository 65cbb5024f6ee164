import { createHash, randomBytes } from 'node:crypto';
import { createTokenSchema, loginSchema, type Account, type ApiTokenInfo } from '../../schemas/accounts.js';
import { BOOTSTRAP_PRINCIPAL, type Principal } from '../../schemas/principal.js';
import type { AccountRecord, AccountStore } from '../../storage/account-store.js';
import { conflict, forbidden, notFound, parseInput as parse, ServiceError } from '../errors.js';
import type { AuditLog } from './access-port.js';
import { newId, ownAccount, toAccount } from './account-records.js';
import type { SignInThrottle } from '../../storage/signin-throttle.js';
import { hashPassword, needsRehash, verifyPassword, type ScryptParams } from './passwords.js';

export const SESSION_PREFIX = 'kse_';
export const API_TOKEN_PREFIX = 'kpt_';
const SESSION_MS = 30 * 86_400_000;
/** Last-use writes are skipped within this interval, so reads do not each cost a write. */
const TOUCH_EVERY_MS = 60_000;
const MAX_TOKENS_PER_ACCOUNT = 50;

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

export interface CredentialDeps {
  /** The bootstrap admin token: browser sign-ins with it get a session of their own (never the token itself). */
  adminToken?: string;
  store: AccountStore;
  audit: AuditLog;
  now: () => Date;
  params: ScryptParams;
  throttle: SignInThrottle;
}

/** Tokens are stored as SHA-256 only: a copy of the database holds no usable credential. */
export const tokenHash = (token: string) => createHash('sha256').update(token).digest('hex');
/** Prefix + 32 random bytes as base64url (43 characters). */
const newToken = (prefix: string) => prefix + randomBytes(32).toString('base64url');

const invalidCredentials = () => new ServiceError(401, 'invalid_credentials', 'The email or password is not correct');
const tooManyAttempts = (seconds: number) =>
  new ServiceError(429, 'too_many_attempts', `Too many failed attempts for this email; try again in ${seconds} s`, { retryAfterSeconds: seconds });

/**
 * Sessions of the bootstrap admin token (a browser signed in with it) are
 * stored like account sessions, under this pseudo account id carrying the
 * token's hash: a new KOHORT_ADMIN_TOKEN ends them, and the id can never
 * collide with a real account's (those are UUIDs).
 */
const ADMIN_SESSION_PREFIX = 'admin-token:';

const principalOf = (a: AccountRecord, via: 'session' | 'api_token'): Principal => ({ accountId: a.id, email: a.email, name: a.name, role: a.role, via });

/** Sign-in, sessions and personal API tokens (docs/TEAMS.md, "Principals and roles"). */
export function createCredentials(d: CredentialDeps) {
  const { store, audit, now, params, throttle } = d;
  // Unknown emails still pay for one scrypt, so timing does not tell which emails exist.
  let dummyHash: Promise<string> | undefined;

  /**
   * Checks the per-email throttle, then the password. The attempt is counted
   * before the (slow) hash check, so parallel guesses cannot all pass the
   * throttle while the first ones are still hashing; a match clears the count.
   */
  async function checkPassword(email: string, password: string, hash: string | undefined): Promise<boolean> {
    const wait = await throttle.attempt(email, now().getTime());
    if (wait > 0) throw tooManyAttempts(wait);
    const ok = await verifyPassword(password, hash ?? (await (dummyHash ??= hashPassword('kohort-no-such-account', params))));
    if (ok && hash) {
      await throttle.clear(email);
      return true;
    }
    return false;
  }

  return {
    checkPassword,

    async login(body: unknown): Promise<LoginResult> {
      const b = parse(loginSchema, body, 'sign-in');
      const a = await store.findByEmail(b.email);
      if (!(await checkPassword(b.email, b.password, a?.passwordHash)) || !a) throw invalidCredentials();
      if (a.disabled) throw forbidden('This account is disabled; ask an admin to enable it');
      const at = now();
      const token = newToken(SESSION_PREFIX);
      const expiresAt = new Date(at.getTime() + SESSION_MS);
      await store.deleteExpiredSessions(at);
      await store.insertSession({ tokenHash: tokenHash(token), accountId: a.id, createdAt: at, lastUsedAt: at, expiresAt });
      // Disabled or deleted while the password was being checked: the session must not outlive that.
      const current = await store.getAccount(a.id);
      if (!current || current.disabled) {
        await store.deleteSession(tokenHash(token));
        throw current ? forbidden('This account is disabled; ask an admin to enable it') : invalidCredentials();
      }
      // Raised cost parameters apply to each account at its next sign-in.
      const rehash = needsRehash(a.passwordHash, params) ? await hashPassword(b.password, params) : undefined;
      await store.updateAccount(a.id, { lastLoginAt: at, passwordHash: rehash });
      const updated = { ...a, lastLoginAt: at };
      await audit.record({ actor: principalOf(a, 'session'), action: 'auth.login', resourceType: 'account', resourceId: a.id, summary: `${a.email} signed in` });
      return { token, expiresAt: expiresAt.toISOString(), account: toAccount(updated) };
    },

    /**
     * A session for a browser signed in with the bootstrap admin token (the
     * caller checked the token): the browser keeps this session, not the token.
     */
    async adminSession(): Promise<{ token: string; expiresAt: Date }> {
      if (!d.adminToken) throw new Error('admin sessions need the admin token');
      const at = now();
      const token = newToken(SESSION_PREFIX);
      const expiresAt = new Date(at.getTime() + SESSION_MS);
      await store.deleteExpiredSessions(at);
      await store.insertSession({ tokenHash: tokenHash(token), accountId: ADMIN_SESSION_PREFIX + tokenHash(d.adminToken), createdAt: at, lastUsedAt: at, expiresAt });
      await audit.record({ actor: BOOTSTRAP_PRINCIPAL, action: 'auth.login', resourceType: 'account', resourceId: null, summary: 'Signed in with the admin token (browser session)' });
      return { token, expiresAt };
    },

    /** Ends the session of `token` (a no-op for API tokens and the bootstrap token itself). */
    async logout(actor: Principal, token: string): Promise<void> {
      if (!token.startsWith(SESSION_PREFIX)) return;
      if (actor.via !== 'session' && actor.via !== 'admin_token') return;
      await store.deleteSession(tokenHash(token));
      const who = actor.via === 'admin_token' ? 'The admin token session' : actor.email;
      await audit.record({ actor, action: 'auth.logout', resourceType: 'account', resourceId: actor.accountId, summary: `${who} signed out` });
    },

    /** Session or personal API token → principal; null when unknown, expired, or the account is disabled or gone. */
    async resolveToken(token: string): Promise<Principal | null> {
      const at = now();
      if (token.startsWith(SESSION_PREFIX)) {
        const s = await store.getSession(tokenHash(token));
        if (!s) return null;
        if (s.expiresAt.getTime() <= at.getTime()) {
          await store.deleteSession(s.tokenHash);
          return null;
        }
        let principal: Principal;
        if (s.accountId.startsWith(ADMIN_SESSION_PREFIX)) {
          // Signed in with an admin token that is no longer the current one: ended.
          if (!d.adminToken || s.accountId !== ADMIN_SESSION_PREFIX + tokenHash(d.adminToken)) return null;
          principal = BOOTSTRAP_PRINCIPAL;
        } else {
          const a = await store.getAccount(s.accountId);
          if (!a || a.disabled) return null;
          principal = principalOf(a, 'session');
        }
        // Sliding expiry: 30 days from the last use.
        if (at.getTime() - s.lastUsedAt.getTime() >= TOUCH_EVERY_MS) await store.touchSession(s.tokenHash, at, new Date(at.getTime() + SESSION_MS));
        return principal;
      }
      if (token.startsWith(API_TOKEN_PREFIX)) {
        const t = await store.getTokenByHash(tokenHash(token));
        if (!t) return null;
        const a = await store.getAccount(t.accountId);
        if (!a || a.disabled) return null;
        if (!t.lastUsedAt || at.getTime() - t.lastUsedAt.getTime() >= TOUCH_EVERY_MS) await store.touchToken(t.id, at);
        return principalOf(a, 'api_token');
      }
      return null;
    },

    async listTokens(actor: Principal): Promise<ApiTokenInfo[]> {
      const a = await ownAccount(store, actor);
      return (await store.listTokens(a.id)).map((t) => ({
        id: t.id,
        name: t.name,
        createdAt: t.createdAt.toISOString(),
        lastUsedAt: t.lastUsedAt ? t.lastUsedAt.toISOString() : null,
      }));
    },

    async createToken(actor: Principal, body: unknown): Promise<CreatedToken> {
      const a = await ownAccount(store, actor);
      const b = parse(createTokenSchema, body, 'token');
      if ((await store.listTokens(a.id)).length >= MAX_TOKENS_PER_ACCOUNT) {
        throw conflict('too_many_tokens', `An account holds at most ${MAX_TOKENS_PER_ACCOUNT} tokens; revoke one first`);
      }
      const token = newToken(API_TOKEN_PREFIX);
      const t = { id: newId(), accountId: a.id, name: b.name, tokenHash: tokenHash(token), createdAt: now(), lastUsedAt: null };
      await store.insertToken(t);
      await audit.record({ actor, action: 'token.created', resourceType: 'api_token', resourceId: t.id, summary: `${a.email} created token "${t.name}"` });
      return { id: t.id, name: t.name, createdAt: t.createdAt.toISOString(), token };
    },

    async revokeToken(actor: Principal, id: string): Promise<void> {
      const a = await ownAccount(store, actor);
      if (!(await store.deleteToken(a.id, id))) throw notFound('Token', id);
      await audit.record({ actor, action: 'token.revoked', resourceType: 'api_token', resourceId: id, summary: `${a.email} revoked a token` });
    },
  };
}
