/**
 * Remembers (person, messageId) pairs for the dedup window in bounded memory.
 *
 * Keys are reduced to 53-bit fingerprints (cyrb53) held in open-addressing
 * tables of typed arrays, one table per day: about 16 bytes a key instead of
 * ~180 for a Map of strings, and a whole day expires at once. The chance that
 * a new key collides with one of n remembered keys is about n / 2^53
 * (2e-9 for 20 million keys). When `maxKeys` is reached the oldest day is
 * dropped early, shortening the window rather than growing without bound.
 */
const DAY_MS = 86_400_000;

export function fingerprint(s: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/** A growable set of fingerprints (never 0: 0 marks an empty slot). */
class FingerprintTable {
  private hi = new Uint32Array(1024);
  private lo = new Uint32Array(1024);
  size = 0;

  private slot(fp: number, hi: Uint32Array): number {
    const mask = hi.length - 1;
    return ((fp % 4294967296) ^ Math.floor(fp / 4294967296)) & mask;
  }

  private find(fp: number): number {
    const h = Math.floor(fp / 4294967296) + 1; // +1 keeps a stored hi word non-zero
    const l = fp >>> 0;
    const mask = this.hi.length - 1;
    for (let i = this.slot(fp, this.hi); ; i = (i + 1) & mask) {
      if (this.hi[i] === 0) return ~i;
      if (this.hi[i] === h && this.lo[i] === l) return i;
    }
  }

  has(fp: number): boolean {
    return this.find(fp) >= 0;
  }

  add(fp: number): void {
    if ((this.size + 1) * 2 > this.hi.length) this.grow();
    const at = this.find(fp);
    if (at >= 0) return;
    this.hi[~at] = Math.floor(fp / 4294967296) + 1;
    this.lo[~at] = fp >>> 0;
    this.size++;
  }

  delete(fp: number): void {
    let i = this.find(fp);
    if (i < 0) return;
    // Backward-shift deletion keeps linear probing chains intact.
    const mask = this.hi.length - 1;
    this.hi[i] = 0;
    this.size--;
    for (let j = (i + 1) & mask; this.hi[j] !== 0; j = (j + 1) & mask) {
      const fpj = (this.hi[j] - 1) * 4294967296 + this.lo[j];
      const home = this.slot(fpj, this.hi);
      const between = i <= j ? home > i && home <= j : home > i || home <= j;
      if (!between) {
        this.hi[i] = this.hi[j];
        this.lo[i] = this.lo[j];
        this.hi[j] = 0;
        i = j;
      }
    }
  }

  private grow(): void {
    const oldHi = this.hi;
    const oldLo = this.lo;
    this.hi = new Uint32Array(oldHi.length * 2);
    this.lo = new Uint32Array(oldLo.length * 2);
    this.size = 0;
    for (let i = 0; i < oldHi.length; i++) {
      if (oldHi[i] !== 0) this.add((oldHi[i] - 1) * 4294967296 + oldLo[i]);
    }
  }
}

export class DedupIndex {
  /** day number -> table */
  private readonly days = new Map<number, FingerprintTable>();
  private total = 0;

  constructor(
    private readonly windowMs = 7 * DAY_MS,
    private readonly maxKeys = 50_000_000,
  ) {}

  get size(): number {
    return this.total;
  }

  has(key: string, now = Date.now()): boolean {
    const fp = fingerprint(key);
    const oldest = Math.floor((now - this.windowMs) / DAY_MS);
    for (const [day, t] of this.days) if (day >= oldest && t.has(fp)) return true;
    return false;
  }

  add(key: string, atMs: number): void {
    const day = Math.floor(atMs / DAY_MS);
    let t = this.days.get(day);
    if (!t) {
      t = new FingerprintTable();
      this.days.set(day, t);
    }
    const before = t.size;
    t.add(fingerprint(key));
    this.total += t.size - before;
    while (this.total > this.maxKeys && this.days.size > 1) this.dropOldest();
  }

  /** Forgets a key added at `atMs` (a failed commit). */
  remove(key: string, atMs: number): void {
    const t = this.days.get(Math.floor(atMs / DAY_MS));
    if (!t) return;
    const before = t.size;
    t.delete(fingerprint(key));
    this.total -= before - t.size;
  }

  /** Drops the days that left the window. */
  prune(now = Date.now()): void {
    const oldest = Math.floor((now - this.windowMs) / DAY_MS);
    for (const [day, t] of this.days) {
      if (day < oldest) {
        this.total -= t.size;
        this.days.delete(day);
      }
    }
  }

  private dropOldest(): void {
    const day = Math.min(...this.days.keys());
    this.total -= this.days.get(day)!.size;
    this.days.delete(day);
  }
}
