import type { Role } from '../../schemas/principal.js';
import {
  AccountExistsError,
  LastOwnerError,
  type AccountChanges,
  type AccountRecord,
  type AccountStore,
  type ApiTokenRecord,
  type AuditRecord,
  type SessionRecord,
} from '../account-store.js';
import { isUniqueViolation, type PgDatabase, type PgQueryable } from './database.js';
import type { PgImportTable } from './bulk-import.js';

type Row = Record<string, any>;

/** Column of each changeable field (fixed names, never from input). */
const CHANGE_COLUMNS: Record<keyof AccountChanges, string> = {
  name: 'name',
  role: 'role',
  disabled: 'disabled',
  passwordHash: 'password_hash',
  updatedAt: 'updated_at',
  lastLoginAt: 'last_login_at',
};

/** Serializes owner-guarded writes of every process (the guard's check-and-write). */
const OWNER_GUARD_LOCK = 7_301_113_002;

const toAccount = (r: Row): AccountRecord => ({
  id: r.id,
  email: r.email,
  name: r.name,
  role: r.role as Role,
  disabled: r.disabled,
  passwordHash: r.password_hash,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  lastLoginAt: r.last_login_at ?? null,
});

const toSession = (r: Row): SessionRecord => ({
  tokenHash: r.token_hash,
  accountId: r.account_id,
  createdAt: r.created_at,
  lastUsedAt: r.last_used_at,
  expiresAt: r.expires_at,
});

const toToken = (r: Row): ApiTokenRecord => ({
  id: r.id,
  accountId: r.account_id,
  name: r.name,
  tokenHash: r.token_hash,
  createdAt: r.created_at,
  lastUsedAt: r.last_used_at ?? null,
});

const toAudit = (r: Row): AuditRecord => ({
  seq: r.seq,
  id: r.id,
  at: r.recorded_at,
  actorAccountId: r.actor_account_id ?? null,
  actorEmail: r.actor_email ?? null,
  actorVia: r.actor_via,
  action: r.action,
  resourceType: r.resource_type,
  resourceId: r.resource_id ?? null,
  summary: r.summary,
});

const enabledOwners = async (q: PgQueryable) =>
  (await q.query<{ n: number }>(`SELECT count(*)::int AS n FROM accounts WHERE role = 'owner' AND NOT disabled`))[0].n;

/** Accounts on PostgreSQL: the same rules as the embedded store, across any number of processes. */
export function createPgAccountStore(db: PgDatabase): AccountStore {
  const one = async <T>(sql: string, params: unknown[], map: (r: Row) => T) => {
    const [r] = await db.query<Row>(sql, params);
    return r ? map(r) : undefined;
  };

  /** Runs fn in a transaction; with the guard, rolls back when it took away the last enabled owner. */
  const guarded = (keepAnOwner: boolean, fn: (q: PgQueryable) => Promise<void>) =>
    db.tx(async (q) => {
      if (keepAnOwner) await q.query('SELECT pg_advisory_xact_lock($1)', [OWNER_GUARD_LOCK]);
      const before = keepAnOwner ? await enabledOwners(q) : 0;
      await fn(q);
      if (before > 0 && (await enabledOwners(q)) === 0) throw new LastOwnerError('No enabled owner would remain');
    });

  return {
    async insertAccount(a) {
      try {
        await db.query('INSERT INTO accounts VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)', [
          a.id, a.email, a.name, a.role, a.disabled, a.passwordHash, a.createdAt, a.updatedAt, a.lastLoginAt,
        ]);
      } catch (err) {
        if (isUniqueViolation(err, 'accounts_email')) throw new AccountExistsError(`An account with email ${a.email} exists`);
        throw err;
      }
    },
    getAccount: (id) => one('SELECT * FROM accounts WHERE id = $1', [id], toAccount),
    findByEmail: (email) => one('SELECT * FROM accounts WHERE email = $1', [email.toLowerCase()], toAccount),
    async listAccounts() {
      // COLLATE "C": the embedded store's byte order, whatever the database's locale.
      return (await db.query<Row>('SELECT * FROM accounts ORDER BY lower(name) COLLATE "C", email COLLATE "C"')).map(toAccount);
    },
    async updateAccount(id, changes, opts = {}) {
      const sets: string[] = [];
      const params: unknown[] = [];
      for (const [key, column] of Object.entries(CHANGE_COLUMNS) as [keyof AccountChanges, string][]) {
        const v = changes[key];
        if (v === undefined) continue;
        params.push(v);
        sets.push(`${column} = $${params.length}`);
      }
      if (!sets.length) return;
      await guarded(opts.keepAnOwner ?? false, async (q) => {
        await q.query(`UPDATE accounts SET ${sets.join(', ')} WHERE id = $${params.length + 1}`, [...params, id]);
        const end = opts.endSessions;
        if (end?.keep) await q.query('DELETE FROM sessions WHERE account_id = $1 AND token_hash <> $2', [id, end.keep]);
        else if (end) await q.query('DELETE FROM sessions WHERE account_id = $1', [id]);
      });
    },
    async deleteAccount(id, opts = {}) {
      await guarded(opts.keepAnOwner ?? false, async (q) => {
        await q.query('DELETE FROM sessions WHERE account_id = $1', [id]);
        await q.query('DELETE FROM api_tokens WHERE account_id = $1', [id]);
        await q.query('DELETE FROM accounts WHERE id = $1', [id]);
      });
    },

    async insertSession(s) {
      await db.query('INSERT INTO sessions VALUES ($1, $2, $3, $4, $5)', [s.tokenHash, s.accountId, s.createdAt, s.lastUsedAt, s.expiresAt]);
    },
    getSession: (hash) => one('SELECT * FROM sessions WHERE token_hash = $1', [hash], toSession),
    async touchSession(hash, lastUsedAt, expiresAt) {
      await db.query('UPDATE sessions SET last_used_at = $1, expires_at = $2 WHERE token_hash = $3', [lastUsedAt, expiresAt, hash]);
    },
    async deleteSession(hash) {
      await db.query('DELETE FROM sessions WHERE token_hash = $1', [hash]);
    },
    async deleteExpiredSessions(now) {
      await db.query('DELETE FROM sessions WHERE expires_at <= $1', [now]);
    },

    async insertToken(t) {
      await db.query('INSERT INTO api_tokens VALUES ($1, $2, $3, $4, $5, $6)', [t.id, t.accountId, t.name, t.tokenHash, t.createdAt, t.lastUsedAt]);
    },
    getTokenByHash: (hash) => one('SELECT * FROM api_tokens WHERE token_hash = $1', [hash], toToken),
    async listTokens(accountId) {
      return (await db.query<Row>('SELECT * FROM api_tokens WHERE account_id = $1 ORDER BY created_at, id', [accountId])).map(toToken);
    },
    async touchToken(id, at) {
      await db.query('UPDATE api_tokens SET last_used_at = $1 WHERE id = $2', [at, id]);
    },
    async deleteToken(accountId, id) {
      return (await db.query('DELETE FROM api_tokens WHERE account_id = $1 AND id = $2 RETURNING id', [accountId, id])).length > 0;
    },

    async insertAudit(r) {
      await db.query(
        `INSERT INTO audit_log (id, recorded_at, actor_account_id, actor_email, actor_via, action, resource_type, resource_id, summary)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [r.id, r.at, r.actorAccountId, r.actorEmail, r.actorVia, r.action, r.resourceType, r.resourceId, r.summary],
      );
    },
    async listAudit(f) {
      const where: string[] = [];
      const params: unknown[] = [];
      const add = (sql: (p: (v: unknown) => string) => string) => where.push(sql((v) => (params.push(v), `$${params.length}`)));
      if (f.actor !== undefined) {
        const actor = f.actor;
        if (actor === 'admin_token') add(() => `actor_via = 'admin_token'`);
        else add((p) => `(actor_account_id = ${p(actor)} OR actor_email = ${p(actor.toLowerCase())})`);
      }
      if (f.resourceType !== undefined) add((p) => `resource_type = ${p(f.resourceType)}`);
      if (f.resourceId !== undefined) add((p) => `resource_id = ${p(f.resourceId)}`);
      if (f.action !== undefined) add((p) => `action = ${p(f.action)}`);
      if (f.from) add((p) => `recorded_at >= ${p(f.from)}`);
      if (f.to) add((p) => `recorded_at <= ${p(f.to)}`);
      if (f.beforeSeq !== undefined) add((p) => `seq < ${p(f.beforeSeq)}`);
      params.push(f.limit);
      const rows = await db.query<Row>(
        `SELECT * FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT $${params.length}`,
        params,
      );
      return rows.map(toAudit);
    },
  };
}

/**
 * What `kohort migrate` may import into this adapter's tables (bulk-import.ts):
 * accounts (password hashes as stored), sessions and API tokens (hashes only),
 * and the audit log with its order (seq) kept.
 */
export const PG_ACCOUNT_IMPORTS = {
  accounts: {
    table: 'accounts',
    columns: {
      id: 'text', email: 'text', name: 'text', role: 'text', disabled: 'boolean', password_hash: 'text',
      created_at: 'timestamptz', updated_at: 'timestamptz', last_login_at: 'timestamptz',
    },
  },
  sessions: {
    table: 'sessions',
    columns: { token_hash: 'text', account_id: 'text', created_at: 'timestamptz', last_used_at: 'timestamptz', expires_at: 'timestamptz' },
  },
  api_tokens: {
    table: 'api_tokens',
    columns: { id: 'text', account_id: 'text', name: 'text', token_hash: 'text', created_at: 'timestamptz', last_used_at: 'timestamptz' },
  },
  audit_log: {
    table: 'audit_log',
    columns: {
      seq: 'bigint', id: 'text', recorded_at: 'timestamptz', actor_account_id: 'text', actor_email: 'text', actor_via: 'text',
      action: 'text', resource_type: 'text', resource_id: 'text', summary: 'text',
    },
    serial: 'seq',
  },
} as const satisfies Record<string, PgImportTable>;
