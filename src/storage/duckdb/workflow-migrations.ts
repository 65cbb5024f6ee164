import type { Migration } from './migrations.js';

/**
 * Workflow steps, cards and step-action executions (docs/TEAMS.md). Times are
 * TIMESTAMP holding UTC. `workflow_steps.action` and `workflow_actions.action`
 * may hold a webhook secret: never select them into logs or answers unmasked.
 * The contacts module joins `workflow_cards` and `workflow_steps`: keep their
 * columns. Never edit a shipped migration: add one.
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
];
