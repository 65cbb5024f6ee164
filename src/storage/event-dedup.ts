import type { WriteTx } from './write-tx.js';

/** How long a messageId / insert_id is remembered (by receive time). */
export const DEDUP_WINDOW_MS = 7 * 24 * 60 * 60 * 1000;

/**
 * Dedup port: claims on `messageId` / `insert_id` keys shared by every process.
 * A claim is taken inside the group's WriteTx: until it commits (after the
 * events engine acknowledged the rows) a repeat claimed by another process
 * waits for it, and is a duplicate once it committed — or is stored if it
 * rolled back (the first insert failed, so the client's retry must count).
 */
export interface EventDedup {
  /** For each key, in order: true when this transaction claimed it (new), false when already claimed. */
  claim(tx: WriteTx, keys: readonly string[]): Promise<boolean[]>;
  /** Forgets claims older than the window; returns how many. */
  prune(now?: Date): Promise<number>;
}
