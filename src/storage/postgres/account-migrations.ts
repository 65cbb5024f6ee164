import type { PgMigration } from './database.js';

/**
 * Accounts, sessions, personal API tokens and the audit log (docs/TEAMS.md) on
 * PostgreSQL. Emails are stored in lower case, so the unique constraint is
 * case-insensitive and holds across processes. Tokens are stored only as
 * SHA-256 hashes; passwords only as scrypt hashes.
 */
export const PG_ACCOUNT_MIGRATIONS: readonly PgMigration[] = [
  {
    id: 'accounts-001-accounts-sessions-tokens-audit',
    sql: `
  CREATE TABLE accounts (
    id text PRIMARY KEY,
    email text NOT NULL CONSTRAINT accounts_email UNIQUE,
    name text NOT NULL,
    role text NOT NULL,
    disabled boolean NOT NULL,
    password_hash text NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    last_login_at timestamptz
  );
  CREATE TABLE sessions (
    token_hash text PRIMARY KEY,
    account_id text NOT NULL,
    created_at timestamptz NOT NULL,
    last_used_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
  );
  CREATE INDEX sessions_by_account ON sessions (account_id);
  CREATE TABLE api_tokens (
    id text PRIMARY KEY,
    account_id text NOT NULL,
    name text NOT NULL,
    token_hash text NOT NULL UNIQUE,
    created_at timestamptz NOT NULL,
    last_used_at timestamptz
  );
  CREATE INDEX api_tokens_by_account ON api_tokens (account_id);
  CREATE TABLE audit_log (
    seq bigserial PRIMARY KEY,
    id text NOT NULL,
    recorded_at timestamptz NOT NULL,
    actor_account_id text,
    actor_email text,
    actor_via text NOT NULL,
    action text NOT NULL,
    resource_type text NOT NULL,
    resource_id text,
    summary text NOT NULL
  );
  CREATE INDEX audit_log_by_resource ON audit_log (resource_type, resource_id, seq);
  `,
  },
];
