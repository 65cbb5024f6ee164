import type { WriteTx } from './write-tx.js';

/**
 * Identity port: which person (an integer key) every external id — a user id or
 * an anonymous id — belongs to, across processes. The metadata engine is the
 * authority (PostgreSQL); the events engine only receives copies (users rows,
 * person merges) to resolve people at query time.
 *
 * Changes happen inside a WriteTx (see write-tx.ts) so they become visible to
 * other processes only with the events they came with. Two processes resolving
 * the same new id get one key (the second waits for the first's commit).
 */

export interface Person {
  uid: number;
  userId: string;
}

export interface Resolved {
  /** Person key of every requested id. */
  uids: Map<string, number>;
  /**
   * People the events engine has not acknowledged yet (created by this call, or by `prepare`
   * for a write that then failed): the caller sends their users rows with its write, and they
   * count as acknowledged when the transaction commits.
   */
  created: Person[];
}

/**
 * What `alias(previousId, userId)` did — exactly the four cases of the embedded
 * store (duckdb/event-writer.ts):
 * - `mapped`: the previous id now maps to the user's person (created for it when neither id was known);
 * - `renamed`: the anonymous person of the previous id became the identified user (shown id changes, `version` orders the renames);
 * - `merged`: two people became one: every key in `moved` (`from` and the keys merged into it before) now counts for `into`;
 * - `none`: both ids already are the same person.
 */
export type AliasChange = {
  /** People created on the way (the user's person when neither id was known). */
  created: Person[];
} & (
  | { kind: 'none'; uid: number }
  | { kind: 'mapped'; externalId: string; uid: number }
  | { kind: 'renamed'; externalId: string; uid: number; userId: string; version: number }
  | { kind: 'merged'; from: number; into: number; moved: number[]; version: number }
);

export interface IdentityStore {
  /** Starts the transaction a group of writes runs in. */
  begin(): Promise<WriteTx>;
  /**
   * Creates the people of unknown ids outside any write transaction (committed at once, not yet
   * acknowledged by the events engine): a write that fails after this leaves no key that
   * PostgreSQL discarded in the events engine, and its retry finds the same people.
   */
  prepare(externalIds: readonly string[]): Promise<void>;
  /**
   * The person of each id, creating the unknown ones (in bulk, one round trip in the common case).
   * `published`: ids the caller wrote in an earlier committed write, whose people are therefore
   * acknowledged already (a person never becomes unacknowledged again, and an id is only ever
   * moved to another acknowledged person): they are not checked again.
   */
  resolve(tx: WriteTx, externalIds: readonly string[], published?: { has(id: string): boolean }): Promise<Resolved>;
  alias(tx: WriteTx, previousId: string, userId: string): Promise<AliasChange>;
  /**
   * Holds these people until the transaction ends (writes whose outcome depends on a person's
   * earlier rows — ordered trait operations — run one process at a time per person).
   */
  lockPeople(tx: WriteTx, uids: readonly number[]): Promise<void>;
  /** For each person: its own key and every key merged into it (rows may carry any of them). */
  keysOf(tx: WriteTx | null, uids: readonly number[]): Promise<Map<number, number[]>>;
  /** Known ids only, committed state. */
  lookup(externalIds: readonly string[]): Promise<Map<string, number>>;
  /** Shown user id of each current person (merged-away keys are left out). */
  userIds(uids: readonly number[]): Promise<Map<number, string>>;
  /** `n` numbers unique across processes (event, trait and merge sequence numbers); the first of a consecutive block. */
  allocateSeq(n: number): Promise<number>;
}
