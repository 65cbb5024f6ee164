/**
 * The bulk import side of the identity port (`kohort migrate`): with ClickHouse
 * events, which person key an id belongs to is decided in the metadata engine
 * (PostgreSQL), which also allocates new person keys. A migrated store brings
 * its keys along, so the copy must (1) record every (id -> key) pair as it was
 * and (2) leave the allocator above the largest copied key, or the next new
 * person would get the key of a migrated one.
 *
 * The PostgreSQL identity adapter implements this next to the tables it owns;
 * `kohort migrate` only calls it.
 */
export interface IdentityImport {
  /** Records (external id -> person key) pairs as they are; pairs already recorded are left alone. */
  importIdentities(rows: readonly { externalId: string; uid: number }[]): Promise<void>;
  /** Makes the allocator hand out only person keys above `maxUid`. */
  reserveUidsThrough(maxUid: number): Promise<void>;
  /** How many ids are recorded (the migration's report). */
  count(): Promise<number>;
}
