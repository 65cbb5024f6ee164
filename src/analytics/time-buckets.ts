/**
 * Calendar buckets in UTC (analytics.md): days start at midnight, weeks on
 * Monday 00:00, months on the 1st. Pure functions of epoch milliseconds.
 */
import type { Interval } from '../schemas/analytics.js';

export const DAY_MS = 86_400_000;
export const WEEK_MS = 7 * DAY_MS;

/** Start of the bucket holding ms. */
export function floorTo(ms: number, interval: Interval): number {
  const day = Math.floor(ms / DAY_MS) * DAY_MS;
  if (interval === 'day') return day;
  if (interval === 'week') return day - ((new Date(day).getUTCDay() + 6) % 7) * DAY_MS;
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

/** Start of the bucket n buckets after the one starting at `start` (a bucket start). */
export function bucketAfter(start: number, interval: Interval, n = 1): number {
  if (interval === 'day') return start + n * DAY_MS;
  if (interval === 'week') return start + n * WEEK_MS;
  const d = new Date(start);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + n, 1);
}

/** The buckets that start at floor(from) and begin before `to`, at most `limit + 1` of them. */
export function bucketStarts(from: number, to: number, interval: Interval, limit = Infinity): number[] {
  const out: number[] = [];
  for (let b = floorTo(from, interval); b < to && out.length <= limit; b = bucketAfter(b, interval)) out.push(b);
  return out;
}
