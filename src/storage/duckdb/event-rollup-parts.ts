import type { SerialConnection } from './database.js';
import {
  chooseSlots,
  DEFAULT_KEY_SLOTS,
  EMPTY_KEYS_TABLE,
  keyRowsSql,
  numberColumns,
  rollupRowsSql,
  RollupState,
  slotStats,
  type KeySlotPolicy,
} from './event-rollup.js';
import type { HotColumns } from './hot-columns.js';

/**
 * A part's key rows are built for text slots with up to this many times the policy's texts:
 * the slots of the whole build are decided at the end from every event, and a slot left out
 * of any part means a full build (approximate counts of a part may exceed the whole's a little).
 */
const KEY_MARGIN = 1.25;

const ROWS = 'event_rollup_parts';
const KEYS = 'event_rollup_keys_parts';

/**
 * The per-(event, person) summaries (event-rollup.ts) built a part at a time, while a bulk
 * load goes on (the seed sorts each slice in; its summaries are built right after, beside the
 * next slice's load, instead of one build of every event at the end, which ran alone).
 *
 * A part summarizes the events with seq in (covered seq, upTo] and is appended to the
 * accumulated tables. The result is the full build's only where that is certain; otherwise
 * `finish` gives up (undefined) and the caller builds in full:
 * - every part's people lie above every earlier part's (uids are handed out in order, and a
 *   seed loads whole users a slice at a time), so no (event, person) group spans two parts
 *   and each group's row is the one the full build computes from the same events;
 * - no person merge since the first part (a merge moves summarized rows to another uid);
 * - the slots the full build would choose (decided at the end by the same scan of every
 *   event) were hot in every part, and each key slot got key rows in every part.
 * Row order differs from one build's (one sorted run per part); readers filter, never rely on it.
 */
export class RollupParts {
  /** Events with seq up to this are in the parts (none yet: every seq is above it). */
  private seq = -1;
  private rows = 0;
  private maxUid = -Infinity;
  /** Slots hot in every part so far (a part knows nothing of a slot added after it). */
  private considered: Set<number> | undefined;
  /** Slots holding numbers in some part: columns of the accumulated table. */
  private readonly numSlots: number[] = [];
  /** Slots with key rows from every part so far. */
  private keySlots: Set<number> | undefined;
  /** Slots with key rows from some part (rows to drop at the end if the full build has no such slot). */
  private readonly keyRowSlots = new Set<number>();
  private broken = false;

  private constructor(private readonly bg: SerialConnection, private readonly mergesAtStart: number, private readonly keyPolicy: KeySlotPolicy) {}

  /** Starts empty (dropping leftovers of an interrupted load). */
  static async start(bg: SerialConnection, merges: number, keyPolicy = DEFAULT_KEY_SLOTS): Promise<RollupParts> {
    await dropParts(bg);
    await bg.run(`CREATE TABLE ${ROWS} (event VARCHAR, uid INTEGER, n BIGINT, max_ts TIMESTAMP)`);
    await bg.run(`CREATE TABLE ${KEYS} ${EMPTY_KEYS_TABLE}`);
    return new RollupParts(bg, merges, keyPolicy);
  }

  /** Whether the accumulated parts can still become the summaries. */
  get usable(): boolean {
    return !this.broken;
  }

  /** Summarizes the events with seq in (covered, upTo] (`merges`: the writer's person merges now). */
  async add(hot: HotColumns, upTo: number, merges: number): Promise<void> {
    if (this.broken || upTo <= this.seq) return;
    if (merges !== this.mergesAtStart) return this.giveUp();
    const range = 'seq > ? AND seq <= ?';
    const params = [this.seq, upTo];
    const stats = await slotStats(this.bg, hot, range, params, this.keyPolicy);
    const rows = Number(stats.rows);
    const hotNow = new Set(hot.slots.map((s) => s.slot));
    this.considered = this.considered ? new Set([...this.considered].filter((s) => hotNow.has(s))) : hotNow;
    if (rows > 0) {
      if (Number(stats.min_uid) <= this.maxUid) return this.giveUp();
      const { numSlots, keySlots } = chooseSlots(hot, stats, this.keyPolicy, Math.floor(this.keyPolicy.maxValues * KEY_MARGIN));
      // A text slot without rows in this part has no key rows to add: complete for it.
      const noTexts = hot.slots.filter((s) => Number(stats[`d${s.slot}`] ?? 1) === 0).map((s) => s.slot);
      const keyed = new Set([...keySlots, ...noTexts]);
      this.keySlots = this.keySlots ? new Set([...this.keySlots].filter((s) => keyed.has(s))) : keyed;
      for (const s of numSlots.filter((x) => !this.numSlots.includes(x))) {
        for (const c of numberColumns(s)) await this.bg.run(`ALTER TABLE ${ROWS} ADD COLUMN ${c}`);
        this.numSlots.push(s);
      }
      // Columns of number slots this part lacks take their defaults: NULL sums, min, max and a count of 0, as a full build gives.
      const cols = ['event', 'uid', 'n', 'max_ts', ...numSlots.flatMap((s) => [`sum${s}`, `cnt${s}`, `min${s}`, `max${s}`])];
      await this.bg.run(`INSERT INTO ${ROWS} (${cols.join(', ')}) ${rollupRowsSql(numSlots, range)} ORDER BY event, uid`, params);
      const keys = keyRowsSql(hot, keySlots, range, params);
      if (keys) await this.bg.run(`INSERT INTO ${KEYS} ${keys.text} ORDER BY event, slot, max_ts`, keys.params);
      for (const k of keySlots) this.keyRowSlots.add(k);
      this.maxUid = Number(stats.max_uid);
      this.rows += rows;
    }
    this.seq = upTo;
  }

  /**
   * The parts up to `upTo` (adding the events since the last part) as `event_rollup_next` and
   * `event_rollup_keys_next`, for `adoptRollup`; undefined (parts dropped) where they may
   * differ from a full build.
   */
  async finish(hot: HotColumns, upTo: number, merges: number): Promise<RollupState | undefined> {
    try {
      await this.add(hot, upTo, merges);
      if (this.broken || this.seq !== upTo) return undefined;
      // The full build's choice of slots, from the same scan of every event.
      const stats = await slotStats(this.bg, hot, 'seq <= ?', [upTo], this.keyPolicy);
      if (Number(stats.rows) !== this.rows) return undefined;
      const { numSlots, keySlots } = chooseSlots(hot, stats, this.keyPolicy);
      if (!numSlots.every((s) => this.considered?.has(s)) || !keySlots.every((s) => this.keySlots?.has(s))) return undefined;
      // A slot holds numbers overall once it did in a part, so the columns are the full build's.
      if (numSlots.length !== this.numSlots.length) return undefined;
      const extra = [...this.keyRowSlots].filter((s) => !keySlots.includes(s));
      if (extra.length) await this.bg.run(`DELETE FROM ${KEYS} WHERE slot IN (${extra.map(Number).join(', ')})`);
      await this.bg.run('DROP TABLE IF EXISTS event_rollup_next');
      await this.bg.run('DROP TABLE IF EXISTS event_rollup_keys_next');
      await this.bg.run(`ALTER TABLE ${ROWS} RENAME TO event_rollup_next`);
      await this.bg.run(`ALTER TABLE ${KEYS} RENAME TO event_rollup_keys_next`);
      return new RollupState(upTo, this.rows, numSlots, keySlots);
    } finally {
      this.broken = true; // used once
      await dropParts(this.bg);
    }
  }

  /** Drops the parts: the summaries will be built whole. */
  async giveUp(): Promise<void> {
    this.broken = true;
    await dropParts(this.bg);
  }
}

export async function dropParts(bg: SerialConnection): Promise<void> {
  await bg.run(`DROP TABLE IF EXISTS ${ROWS}`);
  await bg.run(`DROP TABLE IF EXISTS ${KEYS}`);
}
