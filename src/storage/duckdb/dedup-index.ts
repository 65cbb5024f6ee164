/**
 * Remembers (person, messageId) pairs for the dedup window in bounded memory.
 *
 * Keys are reduced to 53-bit fingerprints (cyrb53) held in open-addressing
 * tables of typed arrays, one table per day: about 16 bytes a key instead of
 * ~180 for a Map of strings, and a whole day expires at once. The chance that
 * a new key collides with one of n remembered keys is about n / 2^53
 * (2e-9 for 20 million keys). When `maxKeys` is reached the oldest day is
 * dropped early, shortening the window rather than growing without bound.
 *
 * The group commit asks once per event (`addIfNew`): one fingerprint, and one
 * probe of each day's table, where a probe costs a cache miss once the tables
 * outgrow the CPU cache (a slot's two words are adjacent for that reason).
 */
const DAY_MS = 86_400_000;
const TWO_32 = 4294967296;

function finish(h1: number, h2: number): number {
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return TWO_32 * (2097151 & h2) + (h1 >>> 0);
}

/** cyrb53 of `s`. */
export function fingerprint(s: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  return finish(h1, h2);
}

/**
 * `fingerprint(`${uid}|${messageId}`)` without building that string: the key
 * the writer has always used, so an index loaded at start-up and one filled
 * by writes agree.
 */
export function messageFingerprint(uid: number, messageId: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  const digits = String(uid);
  for (let i = 0; i < digits.length; i++) {
    const ch = digits.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ 124, 2654435761); // '|'
  h2 = Math.imul(h2 ^ 124, 1597334677);
  for (let i = 0; i < messageId.length; i++) {
    const ch = messageId.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  return finish(h1, h2);
}

/** A growable set of fingerprints; slot i holds words [2i] = hi + 1 (0 marks an empty slot) and [2i + 1] = lo. */
class FingerprintTable {
  private words = new Uint32Array(2 * 1024);
  size = 0;

  private home(fp: number): number {
    return ((fp % TWO_32) ^ Math.floor(fp / TWO_32)) & ((this.words.length >>> 1) - 1);
  }

  /** The slot holding fp, or ~(the empty slot where it would go). */
  private find(fp: number): number {
    const h = Math.floor(fp / TWO_32) + 1; // +1 keeps a stored hi word non-zero
    const l = fp >>> 0;
    const w = this.words;
    const mask = (w.length >>> 1) - 1;
    for (let i = this.home(fp); ; i = (i + 1) & mask) {
      const hi = w[2 * i];
      if (hi === 0) return ~i;
      if (hi === h && w[2 * i + 1] === l) return i;
    }
  }

  has(fp: number): boolean {
    return this.find(fp) >= 0;
  }

  /** Adds fp; false when it was there already. */
  add(fp: number): boolean {
    if ((this.size + 1) * 2 > this.words.length >>> 1) this.grow();
    const at = this.find(fp);
    if (at >= 0) return false;
    this.words[2 * ~at] = Math.floor(fp / TWO_32) + 1;
    this.words[2 * ~at + 1] = fp >>> 0;
    this.size++;
    return true;
  }

  delete(fp: number): void {
    let i = this.find(fp);
    if (i < 0) return;
    // Backward-shift deletion keeps linear probing chains intact.
    const w = this.words;
    const mask = (w.length >>> 1) - 1;
    w[2 * i] = 0;
    this.size--;
    for (let j = (i + 1) & mask; w[2 * j] !== 0; j = (j + 1) & mask) {
      const home = this.home((w[2 * j] - 1) * TWO_32 + w[2 * j + 1]);
      const between = i <= j ? home > i && home <= j : home > i || home <= j;
      if (!between) {
        w[2 * i] = w[2 * j];
        w[2 * i + 1] = w[2 * j + 1];
        w[2 * j] = 0;
        i = j;
      }
    }
  }

  private grow(): void {
    const old = this.words;
    this.words = new Uint32Array(old.length * 2);
    this.size = 0;
    for (let i = 0; i < old.length; i += 2) {
      if (old[i] !== 0) this.add((old[i] - 1) * TWO_32 + old[i + 1]);
    }
  }
}

export class DedupIndex {
  /** Tables by day number, oldest first (days only ever get added at the end or dropped). */
  private days: { day: number; table: FingerprintTable }[] = [];
  private total = 0;

  constructor(
    private readonly windowMs = 7 * DAY_MS,
    private readonly maxKeys = 50_000_000,
  ) {}

  get size(): number {
    return this.total;
  }

  has(key: string, now = Date.now()): boolean {
    return this.hasFingerprint(fingerprint(key), now);
  }

  add(key: string, atMs: number): void {
    this.addFingerprint(fingerprint(key), atMs);
  }

  /** Forgets a key added at `atMs` (a failed commit). */
  remove(key: string, atMs: number): void {
    this.removeFingerprint(fingerprint(key), atMs);
  }

  /**
   * Remembers `fp` at `atMs` unless a day within the window (ending at `atMs`)
   * has it: true when it was new. The day of `atMs` is probed once for both.
   */
  addIfNew(fp: number, atMs: number): boolean {
    const oldest = Math.floor((atMs - this.windowMs) / DAY_MS);
    const today = Math.floor(atMs / DAY_MS);
    for (const d of this.days) if (d.day >= oldest && d.day !== today && d.table.has(fp)) return false;
    const t = this.table(today);
    if (!t.add(fp)) return false;
    this.total++;
    while (this.total > this.maxKeys && this.days.length > 1) this.dropOldest();
    return true;
  }

  hasFingerprint(fp: number, now = Date.now()): boolean {
    const oldest = Math.floor((now - this.windowMs) / DAY_MS);
    for (const d of this.days) if (d.day >= oldest && d.table.has(fp)) return true;
    return false;
  }

  addFingerprint(fp: number, atMs: number): void {
    if (this.table(Math.floor(atMs / DAY_MS)).add(fp)) this.total++;
    while (this.total > this.maxKeys && this.days.length > 1) this.dropOldest();
  }

  removeFingerprint(fp: number, atMs: number): void {
    const day = Math.floor(atMs / DAY_MS);
    const t = this.days.find((d) => d.day === day)?.table;
    if (!t) return;
    const before = t.size;
    t.delete(fp);
    this.total -= before - t.size;
  }

  /** Drops the days that left the window. */
  prune(now = Date.now()): void {
    const oldest = Math.floor((now - this.windowMs) / DAY_MS);
    for (const d of this.days) if (d.day < oldest) this.total -= d.table.size;
    this.days = this.days.filter((d) => d.day >= oldest);
  }

  /** The table of `day`, created in order when missing (keys loaded at start-up come in any order). */
  private table(day: number): FingerprintTable {
    const last = this.days[this.days.length - 1];
    if (last?.day === day) return last.table;
    let d = this.days.find((x) => x.day === day);
    if (!d) {
      d = { day, table: new FingerprintTable() };
      this.days.push(d);
      this.days.sort((a, b) => a.day - b.day);
    }
    return d.table;
  }

  private dropOldest(): void {
    this.total -= this.days[0].table.size;
    this.days.shift();
  }
}
