import type { TraitOp } from './trait-ops.js';

/**
 * Event store port: what services may ask of the event side of storage.
 * Adapters (DuckDB today) implement it; nothing else knows the engine.
 */

/** One normalized write, already validated by the ingest service. */
export type WriteItem =
  | { kind: 'track'; externalId: string; event: string; ts: Date; props: Record<string, unknown>; messageId?: string }
  /** `traits` are set as given (null clears); `ops` (Amplitude identify operations) apply after them. */
  | { kind: 'identify'; externalId: string; traits: Record<string, unknown>; ops?: TraitOp[]; ts: Date; messageId?: string }
  | { kind: 'alias'; previousId: string; userId: string; ts: Date; messageId?: string };

export interface WriteResult {
  /** Items stored by this request. */
  stored: number;
  /** Items recognised as repeats of an earlier messageId / insert_id and skipped. */
  duplicates: number;
}

export interface StoredEvent {
  seq: number;
  userId: string;
  event: string;
  timestamp: Date;
  properties: Record<string, unknown>;
  receivedAt: Date;
}

export interface EventTypeSummary {
  name: string;
  count: number;
  lastSeen: Date | null;
  properties: { name: string; type: string }[];
}

/** One value of a property and how often it occurs (events, or people for traits). */
export interface PropertyValueCount {
  value: string;
  count: number;
}

export interface TraitSummary {
  name: string;
  type: string;
  /** People who have this trait now. */
  count: number;
}

export interface UserSummary {
  userId: string;
  /** Internal surrogate key; stays inside storage and services. */
  uid: number;
  properties: Record<string, unknown>;
  firstSeen: Date | null;
  lastSeen: Date | null;
  eventCount: number;
  recentEvents: StoredEvent[];
  cohortIds: string[];
}

export interface EventStore {
  /**
   * Stores the items of one request atomically and durably: resolves only
   * after the transaction holding them has committed (grouped with others).
   */
  write(items: WriteItem[]): Promise<WriteResult>;
  listEventTypes(): Promise<EventTypeSummary[]>;
  /** Newest first. */
  liveEvents(filter: { limit: number; event?: string; userId?: string }): Promise<StoredEvent[]>;
  getUser(userId: string, recent?: number): Promise<UserSummary | undefined>;
  /** Most frequent scalar values of an event property, as text; with `search`, those containing it (any case). */
  eventPropertyValues(q: { event: string; property: string; search?: string; limit: number }): Promise<PropertyValueCount[]>;
  /** The same over people's current trait values. */
  traitValues(q: { property: string; search?: string; limit: number }): Promise<PropertyValueCount[]>;
  traitNames(): Promise<TraitSummary[]>;
  /** Current (merged) properties of these users; unknown ids are left out. */
  userProperties(userIds: string[]): Promise<Map<string, Record<string, unknown>>>;
  /** Called with each committed group of events, in commit order. */
  subscribe(listener: (events: StoredEvent[]) => void): () => void;
  /** Rewrites fresh events into the ordered layout now (benchmarks, seed, tests). */
  reorganize(): Promise<{ moved: number }>;
  close(): Promise<void>;
}
