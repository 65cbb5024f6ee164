/**
 * Response shapes of the management API (shared/spec/api.md). Request bodies
 * and cohort definitions come from the shared zod schemas (see definition.ts).
 */
import type { Definition } from './definition';

export interface EventType {
  name: string;
  predefined: boolean;
  description?: string;
  count: number;
  lastSeen: string | null;
  properties: { name: string; type: string }[];
}

export interface LiveEvent {
  userId: string;
  event: string;
  timestamp: string;
  properties: Record<string, unknown>;
  receivedAt: string;
}

export interface UserProfile {
  userId: string;
  properties: Record<string, unknown>;
  firstSeen: string | null;
  lastSeen: string | null;
  eventCount: number;
  recentEvents: LiveEvent[];
  cohorts: { id: string; name: string }[];
}

import type { z } from 'zod';
import type { Cohort as SharedCohort, createCohortSchema, CohortKind as SharedKind, CohortStatus as SharedStatus, RefreshMode } from '../../schemas/cohort';

export type CohortStatus = SharedStatus;
export type CohortKind = SharedKind;
export type Refresh = RefreshMode;
/** The API's Cohort, with the definition typed (the server stores a validated one). */
export type Cohort = Omit<SharedCohort, 'definition' | 'size'> & { definition: Definition | null; size: number | null };
/** What a create or update sends (the schema's input side: defaults may be left out). */
export type CohortInput = z.input<typeof createCohortSchema>;

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface Preview {
  size: number;
  sample: string[];
  asOf: string;
  tookMs: number;
}

export interface HistoryPoint {
  computedAt: string;
  size: number;
  entered: number;
  exited: number;
  durationMs: number;
}

import type { DestinationType as SharedDestinationType, presentDestination } from '../../schemas/destination';
import type { SyncFrequency, SyncState as SharedSyncState, presentRun, presentSync } from '../../schemas/sync';

// Type-only imports: the server's presenters define the JSON shapes the API sends.
export type DestinationType = SharedDestinationType;
export type Destination = ReturnType<typeof presentDestination>;
export type Frequency = SyncFrequency;
export type SyncState = SharedSyncState;
export type SyncRun = ReturnType<typeof presentRun>;
export type Sync = ReturnType<typeof presentSync>;

/** How the API shows a stored secret (api.md: secrets are write-only). */
export const SECRET_MASK = '••••';
