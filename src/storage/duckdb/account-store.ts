import type { DuckDBConnection } from '@duckdb/node-api';
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
import type { Database, SerialConnection } from './database.js';
import { date, ms, TS } from './time-values.js';

type Row = Record<string, unknown>;

const ACCOUNT_COLUMNS = `id, email, name, role, disabled, password_hash,
  epoch_ms(created_at) AS created_at, epoch_ms(updated_at) AS updated_at, epoch_ms(last_login_at) AS last_login_at`;
const SESSION_COLUMNS = `token_hash, account_id, epoch_ms(created_at) AS created_at,
  epoch_ms(last_used_at) AS last_used_at, epoch_ms(expires_at) AS expires_at`;
const TOKEN_COLUMNS = `id, account_id, name, token_hash, epoch_ms(created_at) AS created_at, epoch_ms(last_used_at) AS last_used_at`;
const AUDIT_COLUMNS = `seq, id, epoch_ms(recorded_at) AS at, actor_account_id, actor_email, actor_via, action, resource_type, resource_id, summary`;

/** Column of each changeable field (fixed names, never from input). */
const CHANGE_COLUMNS: Record<keyof AccountChanges, string> = {
  name: 'name',
  role: 'role',
  disabled: 'disabled',
  passwordHash: 'password_hash',
  updatedAt: 'updated_at',
  lastLoginAt: 'last_login_at',
};

const str = (v: unknown) => (v === null || v === undefined ? null : String(v));

const toAccount = (r: Row): AccountRecord => ({
  id: String(r.id),
  email: String(r.email),
  name: String(r.name),
  role: r.role as Role,
  disabled: Boolean(r.disabled),
  passwordHash: String(r.password_hash),
  createdAt: date(r.created_at)!,
  updatedAt: date(r.updated_at)!,
  lastLoginAt: date(r.last_login_at),
});

const toSession = (r: Row): SessionRecord => ({
  tokenHash: String(r.token_hash),
  accountId: String(r.account_id),
  createdAt: date(r.created_at)!,
  lastUsedAt: date(r.last_used_at)!,
  expiresAt: date(r.expires_at)!,
});

const toToken = (r: Row): ApiTokenRecord => ({
  id: String(r.id),
  accountId: String(r.account_id),
  name: String(r.name),
  tokenHash: String(r.token_hash),
  createdAt: date(r.created_at)!,
  lastUsedAt: date(r.last_used_at),
});

const toAudit = (r: Row): AuditRecord => ({
  seq: Number(r.seq),
  id: String(r.id),
  at: date(r.at)!,
  actorAccountId: str(r.actor_account_id),
  actorEmail: str(r.actor_email),
  actorVia: r.actor_via as AuditRecord['actorVia'],
  action: String(r.action),
  resourceType: String(r.resource_type),
  resourceId: str(r.resource_id),
  summary: String(r.summary),
});

const isConstraintError = (err: unknown) => /constraint|duplicate key/i.test((err as Error).message ?? '');

async function enabledOwners(c: DuckDBConnection): Promise<number> {
  const r = await c.runAndReadAll(`SELECT count(*) AS n FROM accounts WHERE role = 'owner' AND NOT disabled`);
  return Number((r.getRowObjects()[0] as Row).n);
}

/**
 * Accounts on DuckDB. Writes go through `conn` (one statement at a time, so the
 * owner guard's check-and-write cannot interleave); reads use the shared pool.
 */
export function createDuckDBAccountStore(db: Database, conn: SerialConnection): AccountStore {
  const reads = db.reads;
  const one = async <T>(sql: string, params: unknown[], map: (r: Row) => T) => {
    const [r] = await reads.rows<Row>(sql, params);
    return r ? map(r) : undefined;
  };

  /** Runs fn in a transaction; with the guard, rolls back when it took away the last enabled owner. */
  const guarded = (keepAnOwner: boolean, fn: (c: DuckDBConnection) => Promise<void>) =>
    conn.transaction(async (c) => {
      const before = keepAnOwner ? await enabledOwners(c) : 0;
      await fn(c);
      if (before > 0 && (await enabledOwners(c)) === 0) throw new LastOwnerError('No enabled owner would remain');
    });

  return {
    async insertAccount(a) {
      try {
        await conn.run(`INSERT INTO accounts VALUES (?, ?, ?, ?, ?, ?, ${TS}, ${TS}, ${TS})`, [
          a.id, a.email, a.name, a.role, a.disabled, a.passwordHash, ms(a.createdAt), ms(a.updatedAt), ms(a.lastLoginAt),
        ]);
      } catch (err) {
        if (isConstraintError(err)) throw new AccountExistsError(`An account with email ${a.email} exists`);
        throw err;
      }
    },
    getAccount: (id) => one(`SELECT ${ACCOUNT_COLUMNS} FROM accounts WHERE id = ?`, [id], toAccount),
    findByEmail: (email) => one(`SELECT ${ACCOUNT_COLUMNS} FROM accounts WHERE email = ?`, [email.toLowerCase()], toAccount),
    async listAccounts() {
      return (await reads.rows<Row>(`SELECT ${ACCOUNT_COLUMNS} FROM accounts ORDER BY lower(name), email`)).map(toAccount);
    },
    async updateAccount(id, changes, opts = {}) {
      const sets: string[] = [];
      const params: unknown[] = [];
      for (const [key, column] of Object.entries(CHANGE_COLUMNS) as [keyof AccountChanges, string][]) {
        const v = changes[key];
        if (v === undefined) continue;
        const isTime = v === null || v instanceof Date;
        sets.push(`${column} = ${isTime ? TS : '?'}`);
        params.push(isTime ? ms(v as Date | null) : v);
      }
      if (!sets.length) return;
      await guarded(opts.keepAnOwner ?? false, async (c) => {
        await c.run(`UPDATE accounts SET ${sets.join(', ')} WHERE id = ?`, [...params, id] as never);
        const end = opts.endSessions;
        if (end?.keep) await c.run('DELETE FROM sessions WHERE account_id = ? AND token_hash <> ?', [id, end.keep]);
        else if (end) await c.run('DELETE FROM sessions WHERE account_id = ?', [id]);
      });
    },
    async deleteAccount(id, opts = {}) {
      await guarded(opts.keepAnOwner ?? false, async (c) => {
        await c.run('DELETE FROM sessions WHERE account_id = ?', [id]);
        await c.run('DELETE FROM api_tokens WHERE account_id = ?', [id]);
        await c.run('DELETE FROM accounts WHERE id = ?', [id]);
      });
    },

    async insertSession(s) {
      await conn.run(`INSERT INTO sessions VALUES (?, ?, ${TS}, ${TS}, ${TS})`, [
        s.tokenHash, s.accountId, ms(s.createdAt), ms(s.lastUsedAt), ms(s.expiresAt),
      ]);
    },
    getSession: (hash) => one(`SELECT ${SESSION_COLUMNS} FROM sessions WHERE token_hash = ?`, [hash], toSession),
    async touchSession(hash, lastUsedAt, expiresAt) {
      await conn.run(`UPDATE sessions SET last_used_at = ${TS}, expires_at = ${TS} WHERE token_hash = ?`, [ms(lastUsedAt), ms(expiresAt), hash]);
    },
    async deleteSession(hash) {
      await conn.run('DELETE FROM sessions WHERE token_hash = ?', [hash]);
    },
    async deleteExpiredSessions(now) {
      await conn.run(`DELETE FROM sessions WHERE expires_at <= ${TS}`, [ms(now)]);
    },

    async insertToken(t) {
      await conn.run(`INSERT INTO api_tokens VALUES (?, ?, ?, ?, ${TS}, ${TS})`, [
        t.id, t.accountId, t.name, t.tokenHash, ms(t.createdAt), ms(t.lastUsedAt),
      ]);
    },
    getTokenByHash: (hash) => one(`SELECT ${TOKEN_COLUMNS} FROM api_tokens WHERE token_hash = ?`, [hash], toToken),
    async listTokens(accountId) {
      return (await reads.rows<Row>(`SELECT ${TOKEN_COLUMNS} FROM api_tokens WHERE account_id = ? ORDER BY created_at, id`, [accountId])).map(toToken);
    },
    async touchToken(id, at) {
      await conn.run(`UPDATE api_tokens SET last_used_at = ${TS} WHERE id = ?`, [ms(at), id]);
    },
    async deleteToken(accountId, id) {
      const r = await conn.rows<Row>('DELETE FROM api_tokens WHERE account_id = ? AND id = ? RETURNING id', [accountId, id]);
      return r.length > 0;
    },

    async insertAudit(r) {
      await conn.run(
        `INSERT INTO audit_log (id, recorded_at, actor_account_id, actor_email, actor_via, action, resource_type, resource_id, summary)
         VALUES (?, ${TS}, ?, ?, ?, ?, ?, ?, ?)`,
        [r.id, ms(r.at), r.actorAccountId, r.actorEmail, r.actorVia, r.action, r.resourceType, r.resourceId, r.summary],
      );
    },
    async listAudit(f) {
      const where: string[] = [];
      const params: unknown[] = [];
      const add = (sql: string, ...values: unknown[]) => {
        where.push(sql);
        params.push(...values);
      };
      if (f.actor !== undefined) {
        if (f.actor === 'admin_token') add(`actor_via = 'admin_token'`);
        else add('(actor_account_id = ? OR actor_email = ?)', f.actor, f.actor.toLowerCase());
      }
      if (f.resourceType !== undefined) add('resource_type = ?', f.resourceType);
      if (f.resourceId !== undefined) add('resource_id = ?', f.resourceId);
      if (f.action !== undefined) add('action = ?', f.action);
      if (f.from) add(`recorded_at >= ${TS}`, ms(f.from));
      if (f.to) add(`recorded_at <= ${TS}`, ms(f.to));
      if (f.beforeSeq !== undefined) add('seq < CAST(? AS BIGINT)', f.beforeSeq);
      const rows = await reads.rows<Row>(
        `SELECT ${AUDIT_COLUMNS} FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT CAST(? AS BIGINT)`,
        [...params, f.limit],
      );
      return rows.map(toAudit);
    },
  };
}
