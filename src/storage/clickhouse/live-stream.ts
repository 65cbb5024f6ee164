/**
 * The live stream across processes: events stored in ClickHouse by any
 * process, handed to listeners in the order received (received_at, seq), by
 * polling while at least one listener is subscribed (no query runs otherwise).
 *
 * Each process stamps `received_at` itself and its insert becomes visible some
 * time later, so an event can appear with a stamp older than the newest one
 * already seen. Each poll therefore reads again the last `lagMs` before the
 * newest stamp seen and skips the rows it delivered already: an event whose
 * insert shows up more than `lagMs` after its stamp (or stamped by a clock
 * that far behind) is not streamed, though it is stored and counted as usual.
 * The newest rows are read first by their keys only; whole rows only for the
 * new ones.
 */
import type { StoredEvent } from '../event-store';
import type { ClickHouseClient } from './client';
import { EVENT_COLUMNS, toStoredEvents, type EventRow } from './event-reads';

export interface LiveStreamOptions {
  /** Time between polls while someone listens (default 1 s). */
  intervalMs?: number;
  /** How far back each poll looks again for late inserts (default 10 s). */
  lagMs?: number;
  /** At most this many new events are read per poll (default 5,000); the rest come with the next. */
  batch?: number;
  /** Where failed polls are reported (the process logger); the next poll tries again. */
  logError?: (msg: string, err: unknown) => void;
}

export interface ClickHouseLiveStream {
  /** EventStore.subscribe: called with each batch of newly seen events, oldest first. */
  subscribe(listener: (events: StoredEvent[]) => void): () => void;
  /** Runs one poll now (tests; the timer runs them otherwise). */
  poll(): Promise<void>;
  close(): void;
}

interface KeyRow {
  received_at: string;
  seq: string;
  uid: string;
  event: string;
  ts: string;
}

const keyOf = (r: KeyRow) => `${r.received_at}:${r.seq}:${r.uid}:${r.ts}:${r.event}`;

export function createClickHouseLiveStream(client: ClickHouseClient, opts: LiveStreamOptions = {}): ClickHouseLiveStream {
  const intervalMs = opts.intervalMs ?? 1_000;
  const lagUs = BigInt(opts.lagMs ?? 10_000) * 1000n;
  const batch = opts.batch ?? 5_000;
  const listeners = new Set<(events: StoredEvent[]) => void>();
  /** Newest stamp seen (µs); undefined until the first poll after subscribing found where "now" is. */
  let cursor: bigint | undefined;
  /** Keys delivered within the look-back window, with their stamps. */
  let seen = new Map<string, bigint>();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;

  /** When the first listener subscribed (µs): events stamped from then on are streamed. */
  let since = 0n;
  let generation = 0;

  async function start(gen: number): Promise<void> {
    // Rows stamped before the subscription count as seen: only what arrives from then on is streamed.
    const rows = await client.query<KeyRow>(
      `SELECT received_at, seq, uid, event, ts FROM events PREWHERE received_at >= ${since - lagUs} WHERE received_at < ${since}`,
    );
    if (gen !== generation) return;
    seen = new Map(rows.map((k) => [keyOf(k), BigInt(k.received_at)]));
    cursor = since;
  }

  async function pollOnce(): Promise<void> {
    const gen = generation;
    if (!listeners.size) return;
    if (cursor === undefined) return start(gen);
    const keys = await client.query<KeyRow>(
      `SELECT received_at, seq, uid, event, ts FROM events PREWHERE received_at >= ${cursor - lagUs} ORDER BY received_at, seq`,
    );
    const fresh = keys.filter((k) => !seen.has(keyOf(k))).slice(0, batch);
    if (!fresh.length || gen !== generation) return;
    const wanted = new Set(fresh.map(keyOf));
    const rows = (
      await client.query<EventRow>(`SELECT ${EVENT_COLUMNS} FROM events PREWHERE received_at >= ${fresh[0].received_at} ORDER BY received_at, seq`)
    ).filter((r) => wanted.has(keyOf(r)));
    const events = await toStoredEvents(client, rows);
    // Unsubscribed meanwhile: a later subscriber starts afresh.
    if (gen !== generation || cursor === undefined) return;
    let newest = cursor;
    for (const r of rows) {
      const at = BigInt(r.received_at);
      seen.set(keyOf(r), at);
      if (at > newest) newest = at;
    }
    cursor = newest;
    for (const [k, at] of seen) if (at < newest - lagUs) seen.delete(k);
    if (events.length) for (const l of [...listeners]) l(events);
  }

  function poll(): Promise<void> {
    // One poll at a time: a slow one delays the next rather than overlapping it.
    running ??= pollOnce().finally(() => (running = undefined));
    return running;
  }

  const tick = (gen: number) => {
    poll()
      .catch((err) => (opts.logError ?? ((m, e) => console.error(m, e)))('live stream poll failed; will retry', err))
      .finally(() => {
        if (gen === generation && listeners.size) timer = setTimeout(() => tick(gen), intervalMs).unref();
      });
  };

  function stop(): void {
    clearTimeout(timer);
    timer = undefined;
    generation++;
    // The next subscriber starts from its own "now".
    cursor = undefined;
    seen = new Map();
  }

  return {
    subscribe(listener) {
      listeners.add(listener);
      if (listeners.size === 1) {
        since = BigInt(Date.now()) * 1000n;
        const gen = generation;
        timer = setTimeout(() => tick(gen), 0).unref();
      }
      return () => {
        if (listeners.delete(listener) && !listeners.size) stop();
      };
    },
    poll,
    close() {
      listeners.clear();
      stop();
    },
  };
}
