/**
 * The sync plan as a stream: members and acknowledged ids arrive as sorted
 * pages and are merged as they come, so a run can send its first batch while
 * the rest of the difference is still being read (issue 15: a delta run on a
 * 1M-member cohort spent ~2 s reading both lists whole before its first request).
 */
import { Handoff } from '../../storage/handoff.js';

/**
 * Code point order, which is UTF-8 byte order: how both stores sort user ids
 * (PostgreSQL `COLLATE "C"`, DuckDB's binary collation). JavaScript's `<`
 * compares UTF-16 units and differs only where both strings first differ in
 * a unit ≥ U+D800 (a surrogate, i.e. an astral character, sorts after
 * U+E000..U+FFFF by code point).
 */
export function compareCodePoints(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      // Surrogates (D800..DFFF) above E000..FFFF; each range keeps its own order.
      x = x < 0xe000 ? x + 0x2000 : x - 0x800;
      y = y < 0xe000 ? y + 0x2000 : y - 0x800;
    }
    return x - y;
  }
  return a.length - b.length;
}

/** What one step of the merge found: members to add and acknowledged ids to remove, in order. */
export interface PlanStep {
  add: string[];
  remove: string[];
}

/** A list handed out in pages: `next()` gives the next page, or null at the end. */
class PageCursor {
  private page: readonly string[] = [];
  i = 0;
  private last: string | undefined;
  done = false;
  private readonly it: AsyncIterator<readonly string[]>;
  constructor(
    pages: AsyncIterable<readonly string[]>,
    private readonly what: string,
  ) {
    this.it = pages[Symbol.asyncIterator]();
  }
  /** The current id (loading pages as needed); undefined at the end. */
  async peek(): Promise<string | undefined> {
    while (this.i >= this.page.length) {
      if (this.done) return undefined;
      const r = await this.it.next();
      if (r.done) {
        this.done = true;
        return undefined;
      }
      this.page = r.value;
      this.i = 0;
      this.check();
    }
    return this.page[this.i];
  }
  /** The ids left in the current page (all checked ascending). */
  get rest(): readonly string[] {
    return this.page;
  }
  /** A page must continue the list in strictly ascending code point order: the merge relies on it. */
  private check(): void {
    let prev = this.last;
    for (const u of this.page) {
      if (prev !== undefined && compareCodePoints(prev, u) >= 0) {
        throw new Error(`${this.what} are not in ascending code point order (${JSON.stringify(prev)} before ${JSON.stringify(u)})`);
      }
      prev = u;
    }
    this.last = prev;
  }
  async close(): Promise<void> {
    if (!this.done) await this.it.return?.();
    this.done = true;
  }
}

/**
 * toAdd = members - acknowledged and toRemove = acknowledged - members, as
 * `planSync` (same sets, same order), found step by step: one step per page
 * pair consumed. Both inputs must be strictly ascending in code point order
 * (checked: a list out of order throws rather than plan a wrong change).
 * Stopping the iteration early closes both inputs.
 */
export async function* planSyncPages(members: AsyncIterable<readonly string[]>, acknowledged: AsyncIterable<readonly string[]>): AsyncGenerator<PlanStep> {
  const m = new PageCursor(members, 'members');
  const a = new PageCursor(acknowledged, 'acknowledged ids');
  try {
    for (;;) {
      const x = await m.peek();
      const y = await a.peek();
      if (x === undefined && y === undefined) return;
      const step: PlanStep = { add: [], remove: [] };
      if (y === undefined) {
        step.add = m.rest.slice(m.i);
        m.i = m.rest.length;
      } else if (x === undefined) {
        step.remove = a.rest.slice(a.i);
        a.i = a.rest.length;
      } else {
        // Merge until either current page ends (the next await loads it).
        const mp = m.rest;
        const ap = a.rest;
        let i = m.i;
        let j = a.i;
        while (i < mp.length && j < ap.length) {
          const c = compareCodePoints(mp[i], ap[j]);
          if (c === 0) {
            i++;
            j++;
          } else if (c < 0) step.add.push(mp[i++]);
          else step.remove.push(ap[j++]);
        }
        m.i = i;
        a.i = j;
      }
      if (step.add.length || step.remove.length) yield step;
    }
  } finally {
    await Promise.all([m.close(), a.close()]);
  }
}

/** An array as pages (a source that reads its list whole). */
export async function* asPages<T>(items: Promise<readonly T[]> | readonly T[], size = 50_000): AsyncGenerator<T[]> {
  const all = await items;
  for (let i = 0; i < all.length; i += size) yield all.slice(i, i + size);
}

/**
 * Starts reading `source` now, into memory, instead of when it is first
 * iterated: the run reads members and acknowledged ids while it prepares the
 * destination, and a slow consumer never holds a store's connection. An error
 * of the source is thrown to the consumer; `close()` stops reading.
 */
export function eager<T>(source: AsyncIterable<T>): AsyncIterable<T> & { close(): Promise<void> } {
  const read = new Handoff<T>();
  let closed = false;
  const pump = (async () => {
    try {
      for await (const x of source) {
        if (closed) break;
        read.push(x);
      }
      read.end();
    } catch (err) {
      read.fail(err);
    }
  })();
  return {
    async *[Symbol.asyncIterator]() {
      try {
        yield* read.drain();
      } finally {
        closed = true;
      }
    },
    async close() {
      closed = true;
      read.clear();
      await pump;
    },
  };
}
