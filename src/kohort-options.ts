import type { FastifyInstance } from 'fastify';
import type { CohortExports } from './services/cohorts/cohort-exports.js';
import type { AccountService } from './services/accounts/account-service.js';
import type { AuditService } from './services/accounts/audit.js';
import type { ScryptParams } from './services/accounts/passwords.js';
import type { CohortService } from './services/cohorts/cohort-service.js';
import type { QueryLimiter } from './services/query-limiter.js';
import type { Clock } from './services/syncs/clock.js';
import type { SyncService } from './services/syncs/sync-service.js';
import type { ActionRunner } from './services/workflows/action-runner.js';
import type { WorkflowService } from './services/workflows/workflow-service.js';
import type { EventsEngine } from './storage/events-engine.js';

/** What `createKohort` (main.ts) takes and gives. */
export interface KohortOptions {
  /** DuckDB file, or ':memory:' (tests). */
  dbPath: string;
  /** DuckDB memory_limit (KOHORT_MEMORY_LIMIT). */
  memoryLimit?: string;
  adminToken: string;
  writeKey: string;
  /** Background reorganization of events and dedup pruning (tests may turn it off). */
  background?: boolean;
  /** Cohort refresh and sync schedulers (tests may turn them off). */
  schedulers?: boolean;
  /**
   * false (KOHORT_WORKER=off): HTTP only. No scheduler, step-action runner or
   * recovery of interrupted jobs: those belong to the worker processes.
   */
  worker?: boolean;
  /** false, or a log level (true = info). */
  logger?: boolean | string;
  /** Where log lines go (default stdout); tests capture them. */
  logStream?: { write(line: string): void };
  /** Time and jitter for workflow step actions (tests pass a fake clock to run retries at once). */
  workflows?: { clock?: Clock; random?: () => number };
  /**
   * `KOHORT_ALLOW_PRIVATE_URLS`: hosts, addresses or CIDR ranges (or `*`) that step
   * webhooks may reach although private or loopback. Default: none.
   */
  allowPrivateUrls?: string;
  /**
   * KOHORT_SECRET_KEY: base64 AES keys, comma-separated, current first. Without it the
   * key lives in `secret-key.json` beside the store (a random one for ':memory:').
   */
  secretKeys?: string;
  /** KOHORT_EXPORT_DIR (default `exports` beside the store). */
  exportDir?: string;
  /** KOHORT_QUERY_TIMEOUT_MS / KOHORT_QUERY_CONCURRENCY (defaults: 30000 ms, the number of cores). */
  queryLimits?: { timeoutMs?: number; concurrency?: number; queueWaitMs?: number };
  /** Password hashing cost; tests may lower it (stored hashes carry their parameters). Default: docs/TEAMS.md. */
  passwordCost?: ScryptParams;
  /** Runs Amplitude-style member exports in the background (default true; tests may run them with `exports.drain()`). */
  exportWorker?: boolean;
  /**
   * KOHORT_DATABASE_URL: cohorts, exports, syncs, accounts, collaborators,
   * workflows, job leases and the sign-in throttle in PostgreSQL. Events, traits
   * and member sets stay in the DuckDB file unless `eventsUrl` is given too.
   */
  databaseUrl?: string;
  /** KOHORT_EVENTS_URL: events, traits and member sets in ClickHouse (needs `databaseUrl`; no DuckDB file is opened). */
  eventsUrl?: string;
}

export interface Kohort {
  app: FastifyInstance;
  /** The events engine's ports (tests and benchmarks write and reorganize events through `engine.events`). */
  engine: EventsEngine;
  cohorts: CohortService;
  syncs: SyncService;
  /** Accounts, sessions and personal tokens (getAccount / findByEmail for other services). */
  accounts: AccountService;
  /** The audit log: services record changes through `audit.record`. */
  audit: AuditService;
  /** Time limit and concurrency cap for expensive reads: routes wrap their query in `queries.run`. */
  queries: QueryLimiter;
  /** Workflow steps and boards; `runner.drain()` runs the step-action queue dry (tests, with schedulers off). */
  workflows: { service: WorkflowService; runner: ActionRunner };
  /** Amplitude-style async member exports (`drain()` runs the pending ones). */
  exports: CohortExports;
  close(): Promise<void>;
}
