/**
 * Values handed from a producer that pushes to one consumer that iterates, as they come:
 * the producer never waits for the consumer (it may hold a connection), the consumer waits
 * for the next value. Used where a read runs ahead of its reader (stream-pages.ts, the sync
 * runner's `eager`). After `fail`, the consumer gets the values pushed before, then the error.
 */
export class Handoff<T> {
  private readonly buf: T[] = [];
  private done = false;
  private error: unknown = null;
  private wake: (() => void) | null = null;

  push(value: T): void {
    this.buf.push(value);
    this.notify();
  }

  end(): void {
    this.done = true;
    this.notify();
  }

  fail(err: unknown): void {
    this.error = err;
    this.end();
  }

  /** Drops the values not handed out yet. */
  clear(): void {
    this.buf.length = 0;
  }

  async *drain(): AsyncGenerator<T> {
    for (;;) {
      if (this.buf.length) yield this.buf.shift()!;
      else if (this.error !== null) throw this.error;
      else if (this.done) return;
      else await new Promise<void>((r) => (this.wake = r));
    }
  }

  private notify(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }
}
