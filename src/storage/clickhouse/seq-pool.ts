import type { IdentityStore } from '../identity-store.js';

/**
 * Sequence numbers for one process, taken from the metadata engine in blocks
 * (unique across processes, one round trip per block); unused numbers are skipped.
 *
 * Trait rows of one person at the same ts are ordered by seq, and a corrected
 * copy must outrank the row it replaces: so after taking a person's lock the
 * writer discards its block, and every number it then takes is above every
 * number of that person's rows committed before (the previous holder took its
 * numbers before committing, and the counter only grows).
 */
export class SeqPool {
  private next = 0;
  private end = 0;
  constructor(
    private readonly identity: IdentityStore,
    private readonly block = 1000,
  ) {}

  /** Makes sure at least n numbers can be taken with take() without waiting. */
  async reserve(n: number): Promise<void> {
    if (this.end - this.next >= n) return;
    const size = Math.max(n, this.block);
    this.next = await this.identity.allocateSeq(size);
    this.end = this.next + size;
  }

  /** Forgets the rest of the block: the next numbers are taken fresh. */
  discard(): void {
    this.next = this.end = 0;
  }

  take(): number {
    if (this.next >= this.end) throw new Error('sequence block exhausted: reserve() first');
    return this.next++;
  }

  get available(): number {
    return this.end - this.next;
  }
}
