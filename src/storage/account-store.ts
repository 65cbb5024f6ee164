import type { Role } from '../schemas/principal.js';

/** An account row, with its password hash: never leaves the services layer. */
export interface AccountRecord {
  id: string;
  email: string;
  name: string;
  role: Role;
  disabled: boolean;
  passwordHash: string;
  createdAt: Date;
  updatedAt: Date;
  lastLoginAt: Date | null;
}

export interface SessionRecord {
  /** SHA-256 (hex) of the token; the token itself is never stored. */
  tokenHash: string;
  accountId: string;
  createdAt: Date;
  lastUsedAt: Date;
  expiresAt: Date;
}

export interface ApiTokenRecord {
  id: string;
  accountId: string;
  name: string;
  tokenHash: string;
  createdAt: Date;
  lastUsedAt: Date | null;
}

export interface AuditRecord {
  /** Insertion order; the keyset of the audit list. */
  seq: number;
  id: string;
  at: Date;
  actorAccountId: string | null;
  actorEmail: string | null;
  actorVia: 'admin_token' | 'session' | 'api_token';
  action: string;
  resourceType: string;
  resourceId: string | null;
  summary: string;
}

export interface AuditFilter {
  /** Matches the actor's account id or email, or `admin_token` for the bootstrap token. */
  actor?: string;
  resourceType?: string;
  resourceId?: string;
  action?: string;
  from?: Date;
  to?: Date;
  /** Only entries older than this seq (the previous page's last). */
  beforeSeq?: number;
  limit: number;
}

/** Fields an update may change. */
export type AccountChanges = Partial<Pick<AccountRecord, 'name' | 'role' | 'disabled' | 'passwordHash' | 'updatedAt' | 'lastLoginAt'>>;

/** The email is taken by another account (case-insensitive: emails are stored in lower case). */
export class AccountExistsError extends Error {}
/** The change would leave no enabled owner; nothing was written. */
export class LastOwnerError extends Error {}

export interface AccountStore {
  insertAccount(a: AccountRecord): Promise<void>;
  getAccount(id: string): Promise<AccountRecord | undefined>;
  findByEmail(email: string): Promise<AccountRecord | undefined>;
  listAccounts(): Promise<AccountRecord[]>;
  /**
   * Writes only the given fields (so a sign-in stamping lastLoginAt cannot undo
   * a concurrent disable). With `keepAnOwner`, the write fails with LastOwnerError,
   * writing nothing, when it would leave no enabled owner where there was one.
   * `endSessions` ends the account's sessions (but `keep`, a token hash) in the
   * same transaction, so a new password or a disable never leaves old ones valid.
   */
  updateAccount(id: string, changes: AccountChanges, opts?: { keepAnOwner?: boolean; endSessions?: { keep?: string } }): Promise<void>;
  /** Deletes the account with its sessions and tokens; same owner guard as updateAccount. */
  deleteAccount(id: string, opts?: { keepAnOwner?: boolean }): Promise<void>;

  insertSession(s: SessionRecord): Promise<void>;
  getSession(tokenHash: string): Promise<SessionRecord | undefined>;
  touchSession(tokenHash: string, lastUsedAt: Date, expiresAt: Date): Promise<void>;
  deleteSession(tokenHash: string): Promise<void>;
  deleteExpiredSessions(now: Date): Promise<void>;

  insertToken(t: ApiTokenRecord): Promise<void>;
  getTokenByHash(tokenHash: string): Promise<ApiTokenRecord | undefined>;
  listTokens(accountId: string): Promise<ApiTokenRecord[]>;
  touchToken(id: string, at: Date): Promise<void>;
  /** false when the account has no such token. */
  deleteToken(accountId: string, id: string): Promise<boolean>;

  insertAudit(r: Omit<AuditRecord, 'seq'>): Promise<void>;
  listAudit(f: AuditFilter): Promise<AuditRecord[]>;
}
