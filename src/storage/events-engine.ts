/**
 * The events engine: every port that lives with the events (they run compiled
 * definitions, or read events, traits and member sets in the same engine). The
 * composition root opens one — the embedded DuckDB file, or ClickHouse
 * (`KOHORT_EVENTS_URL`) — and wires services to these ports only.
 */
import type { AnalyticsDialect } from '../analytics/analytics-dialect.js';
import type { EventRollup, MaterializedProperty, SqlDialect } from '../cohort/dialect.js';
import type { AnalyticsReads } from './analytics-reads.js';
import type { CohortInsightReads } from './cohort-insight-reads.js';
import type { ContactReads } from './contact-reads.js';
import type { EventStore } from './event-store.js';
import type { MemberExportReads } from './member-export-reads.js';
import type { MembershipStore } from './membership-store.js';

export interface EventsEngine {
  readonly name: 'duckdb' | 'clickhouse';
  /** The dialect compiled definitions and charts are rendered in for this engine. */
  readonly dialect: SqlDialect;
  /** The chart compiler's dialect (buckets, CTEs) over `dialect`. */
  readonly analyticsDialect: AnalyticsDialect;
  readonly events: EventStore;
  readonly members: MembershipStore;
  readonly insight: CohortInsightReads;
  readonly analytics: AnalyticsReads;
  readonly contacts: ContactReads;
  readonly memberExports: MemberExportReads;
  /** Event property paths kept in typed columns now: passed to the compilers (`materialized`). */
  materializedProperties(): MaterializedProperty[];
  /** Per-(event, person) summaries the compiler may read where they are exact (CompileContext.rollup); engines without them leave it out. */
  eventRollup?(): EventRollup | undefined;
  /** Periodic background work of the engine (layout, dedup pruning), when this process runs it. */
  startBackground(): void;
  close(): Promise<void>;
}
