import type { Migration } from './migrations.js';

/**
 * Accounts, sessions, personal API tokens and the audit log (docs/TEAMS.md).
 * Emails are stored in lower case so the UNIQUE constraint is case-insensitive.
 * Tokens are stored only as SHA-256 hashes; passwords only as scrypt hashes.
 * Times are TIMESTAMP holding UTC. Never edit a shipped migration: add one.
 */
export const ACCOUNT_MIGRATIONS: Migration[] = [
  {
    id: 'accounts-001-accounts-sessions-tokens-audit',
    sql: `
  CREATE TABLE accounts (
    id VARCHAR PRIMARY KEY,
    email VARCHAR NOT NULL UNIQUE,
    name VARCHAR NOT NULL,
    role VARCHAR NOT NULL,
    disabled BOOLEAN NOT NULL,
    password_hash VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    last_login_at TIMESTAMP
  );
  CREATE TABLE sessions (
    token_hash VARCHAR PRIMARY KEY,
    account_id VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
  );
  CREATE INDEX sessions_by_account ON sessions (account_id);
  CREATE TABLE api_tokens (
    id VARCHAR PRIMARY KEY,
    account_id VARCHAR NOT NULL,
    name VARCHAR NOT NULL,
    token_hash VARCHAR NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP
  );
  CREATE SEQUENCE audit_log_seq;
  CREATE TABLE audit_log (
    seq BIGINT NOT NULL DEFAULT nextval('audit_log_seq'),
    id VARCHAR NOT NULL,
    recorded_at TIMESTAMP NOT NULL,
    actor_account_id VARCHAR,
    actor_email VARCHAR,
    actor_via VARCHAR NOT NULL,
    action VARCHAR NOT NULL,
    resource_type VARCHAR NOT NULL,
    resource_id VARCHAR,
    summary VARCHAR NOT NULL
  );
  `,
  },
];
