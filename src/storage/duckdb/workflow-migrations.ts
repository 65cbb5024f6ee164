import type { Migration } from './migrations.js';

/**
 * Workflow steps, cards and step-action executions (docs/TEAMS.md). Times are
 * TIMESTAMP holding UTC. `workflow_steps.action` and `workflow_actions.action`
 * may hold a webhook secret: never select them into logs or answers unmasked.
 * The contacts module joins `workflow_cards` and `workflow_steps`: keep their
 * columns. Never edit a shipped migration: add one.
 *
 * Since workflow-002, cards and executions hold the user id text (membership
 * comes from another store, which may be another engine): the store never
 * joins `users` or `cohort_members`.
 */
export const WORKFLOW_MIGRATIONS: readonly Migration[] = [
  {
    id: 'workflow-001-steps-cards-actions',
    sql: `
  CREATE TABLE workflow_steps (
    id VARCHAR PRIMARY KEY,
    cohort_id VARCHAR NOT NULL,
    position INTEGER NOT NULL,
    name VARCHAR NOT NULL,
    action JSON,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
  );
  -- One card per (cohort, member); moved_by is null when the card was placed on entering.
  -- No key index: every writer runs in one serialized transaction that checks first,
  -- and large cohorts insert their cards much faster without one.
  CREATE TABLE workflow_cards (
    cohort_id VARCHAR NOT NULL,
    uid INTEGER NOT NULL,
    step_id VARCHAR NOT NULL,
    moved_at TIMESTAMP NOT NULL,
    moved_by VARCHAR
  );
  -- The durable queue: one row per (card, step reached), written with the move.
  CREATE SEQUENCE workflow_action_seq;
  CREATE TABLE workflow_actions (
    seq BIGINT NOT NULL DEFAULT nextval('workflow_action_seq'),
    id VARCHAR PRIMARY KEY,
    cohort_id VARCHAR NOT NULL,
    step_id VARCHAR NOT NULL,
    step_name VARCHAR NOT NULL,
    uid INTEGER NOT NULL,
    type VARCHAR NOT NULL,
    action JSON NOT NULL,
    status VARCHAR NOT NULL,
    attempts INTEGER NOT NULL,
    last_error VARCHAR,
    attempt_log JSON NOT NULL,
    created_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    next_attempt_at TIMESTAMP,
    moved_at TIMESTAMP NOT NULL,
    moved_by VARCHAR
  );
    `,
  },
  {
    // Cards and executions keyed by the user id text instead of the integer person key.
    // Rows whose person no longer exists (merged away) were invisible already and are dropped.
    id: 'workflow-002-user-id-text',
    sql: `
  CREATE TABLE workflow_cards_v2 (
    cohort_id VARCHAR NOT NULL,
    user_id VARCHAR NOT NULL,
    step_id VARCHAR NOT NULL,
    moved_at TIMESTAMP NOT NULL,
    moved_by VARCHAR
  );
  INSERT INTO workflow_cards_v2
    SELECT c.cohort_id, u.user_id, c.step_id, c.moved_at, c.moved_by FROM workflow_cards c JOIN users u ON u.uid = c.uid;
  DROP TABLE workflow_cards;
  ALTER TABLE workflow_cards_v2 RENAME TO workflow_cards;
  CREATE TABLE workflow_actions_v2 (
    seq BIGINT NOT NULL DEFAULT nextval('workflow_action_seq'),
    id VARCHAR PRIMARY KEY,
    cohort_id VARCHAR NOT NULL,
    step_id VARCHAR NOT NULL,
    step_name VARCHAR NOT NULL,
    user_id VARCHAR NOT NULL,
    type VARCHAR NOT NULL,
    action JSON NOT NULL,
    status VARCHAR NOT NULL,
    attempts INTEGER NOT NULL,
    last_error VARCHAR,
    attempt_log JSON NOT NULL,
    created_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    next_attempt_at TIMESTAMP,
    moved_at TIMESTAMP NOT NULL,
    moved_by VARCHAR
  );
  INSERT INTO workflow_actions_v2
    SELECT a.seq, a.id, a.cohort_id, a.step_id, a.step_name, u.user_id, a.type, a.action, a.status, a.attempts, a.last_error,
           a.attempt_log, a.created_at, a.finished_at, a.next_attempt_at, a.moved_at, a.moved_by
      FROM workflow_actions a JOIN users u ON u.uid = a.uid;
  DROP TABLE workflow_actions;
  ALTER TABLE workflow_actions_v2 RENAME TO workflow_actions;
    `,
  },
];
