import type { PgImportTable } from './bulk-import.js';

/**
 * What `kohort migrate` may import into this adapter's tables (bulk-import.ts):
 * destinations with their configs as stored (secrets stay sealed), syncs with
 * their protocol state, acknowledged sets (so the next run is a delta), runs
 * and in-flight batches, ids and sequence numbers kept.
 */
export const PG_SYNC_IMPORTS = {
  sync_destinations: {
    table: 'sync_destinations',
    columns: { id: 'text', name: 'text', type: 'text', config: 'jsonb', created_at: 'timestamptz', updated_at: 'timestamptz' },
  },
  sync_jobs: {
    table: 'sync_jobs',
    columns: {
      id: 'text', cohort_id: 'text', destination_id: 'text', frequency: 'text', batch_size: 'integer', paused_reason: 'text',
      state: 'text', next_run_at: 'timestamptz', protocol_state: 'jsonb', full_sync_done_at: 'timestamptz',
      created_at: 'timestamptz', updated_at: 'timestamptz',
    },
  },
  sync_acknowledged: {
    table: 'sync_acknowledged',
    columns: { sync_id: 'text', user_id: 'etext' },
    // The embedded table has no key (repeats are possible after a crash, reads are DISTINCT).
    onConflict: 'ON CONFLICT DO NOTHING',
  },
  sync_runs: {
    table: 'sync_runs',
    columns: {
      seq: 'bigint', id: 'text', sync_id: 'text', started_at: 'timestamptz', finished_at: 'timestamptz', status: 'text', full: 'boolean',
      trigger: 'text', added: 'bigint', removed: 'bigint', failed: 'bigint', skipped: 'bigint', requests: 'bigint', retries: 'bigint', errors: 'json',
    },
    serial: 'seq',
  },
  sync_inflight: {
    table: 'sync_inflight',
    columns: { seq: 'bigint', sync_id: 'text', batch_key: 'text', op: 'text', user_ids: 'json' },
    serial: 'seq',
  },
} as const satisfies Record<string, PgImportTable>;
