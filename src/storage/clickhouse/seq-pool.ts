import type { IdentityStore } from '../identity-store.js';

/**
 * Sequence numbers for one process, taken from the metadata engine in blocks
 * (unique across processes, one round trip per block). Numbers left in a block
 * are used by the next groups; a failed group's numbers are simply skipped.
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

  take(): number {
    if (this.next >= this.end) throw new Error('sequence block exhausted: reserve() first');
    return this.next++;
  }

  get available(): number {
    return this.end - this.next;
  }
}
