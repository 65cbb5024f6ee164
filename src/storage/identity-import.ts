/**
 * The bulk import side of the identity port (`kohort migrate`): with ClickHouse
 * events, which person key an id belongs to is decided in the metadata engine
 * (PostgreSQL), which also hands out new person keys and event sequence
 * numbers. A migrated store brings its keys and sequence numbers along, so the
 * import must record every person and id as they were and move both counters
 * past everything copied, or the next new person (or event) would reuse a
 * copied key (or seq).
 *
 * The PostgreSQL identity adapter implements this next to the tables it owns;
 * `kohort migrate` only builds the snapshot and calls it.
 */
export interface IdentitySnapshot {
  /**
   * Every person key with its shown user id; merged-away keys too, with
   * `mergedInto` (their final person) and an empty user id (the embedded store
   * dropped it when merging).
   */
  people: { uid: number; userId: string; mergedInto?: number }[];
  /** Every external id and the current person it belongs to. */
  identities: { externalId: string; uid: number }[];
  /** The highest event / trait / merge sequence number used by the copied rows. */
  lastSeq: number;
}

export interface IdentityImport {
  /** Records the snapshot; safe to repeat (rows already there are left alone, counters only move forward). */
  importSnapshot(snap: IdentitySnapshot): Promise<void>;
  /** How many external ids are recorded (the migration's report). */
  countIdentities(): Promise<number>;
}
