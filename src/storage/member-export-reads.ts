/** A cohort member with the current values of the trait keys asked for (absent keys left out). */
export interface MemberWithTraits {
  userId: string;
  traits: Record<string, unknown>;
}

/**
 * Reads behind the members CSV with traits: the stored membership of a saved
 * cohort joined with people's current traits, handed out a page at a time.
 */
export interface MemberExportReads {
  /** The trait keys that at least one member has a current value for, sorted. */
  traitKeys(cohortId: string): Promise<string[]>;
  /**
   * The members sorted by user id with the current values of `keys`, read
   * lazily: the next page is read only when the consumer asks for it, so the
   * whole membership is never held in memory. Stopping early (`return()`)
   * releases what the read holds.
   */
  pages(cohortId: string, keys: readonly string[]): AsyncIterable<MemberWithTraits[]>;
}
