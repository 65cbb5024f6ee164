/**
 * The one place the web app turns a time into text. Every page shows times the
 * same two ways:
 * - absolute: date and time in the user's locale and time zone, with the zone
 *   named ("4 Dec 2026, 18:09:01 UTC"), for moments that matter exactly (an
 *   event, a run, an audit entry);
 * - relative: "3 minutes ago" / "in 2 hours", always shown with the absolute
 *   time next to it on hover (components/Time.tsx).
 * Which one: what happened at a moment (an event, a sync run, an audit entry, a
 * step action, a result's "as of") is absolute; the state of a thing (created,
 * updated, last seen, last computed, next run) is relative.
 * Dates without a time (analytics buckets, which are UTC calendar periods) are
 * written as dates, in UTC, so a bucket never shifts to the day before.
 *
 * Locale and zone default to the browser's; tests pass them explicitly.
 */
export interface TimeFormatOptions {
  locale?: string | string[];
  timeZone?: string;
}

const cache = new Map<string, Intl.DateTimeFormat | Intl.RelativeTimeFormat>();
function dtf(opts: TimeFormatOptions, parts: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `d|${String(opts.locale)}|${opts.timeZone}|${JSON.stringify(parts)}`;
  let f = cache.get(key) as Intl.DateTimeFormat | undefined;
  if (!f) cache.set(key, (f = new Intl.DateTimeFormat(opts.locale, { ...parts, timeZone: opts.timeZone })));
  return f;
}
function rtf(opts: TimeFormatOptions): Intl.RelativeTimeFormat {
  const key = `r|${String(opts.locale)}`;
  let f = cache.get(key) as Intl.RelativeTimeFormat | undefined;
  if (!f) cache.set(key, (f = new Intl.RelativeTimeFormat(opts.locale, { numeric: 'auto', style: 'long' })));
  return f;
}

/** Milliseconds of an ISO-8601 text or a Date; undefined when missing or not a time. */
function toMs(t: string | Date | null | undefined): number | undefined {
  if (t === null || t === undefined || t === '') return undefined;
  const ms = t instanceof Date ? t.getTime() : Date.parse(t);
  return Number.isNaN(ms) ? undefined : ms;
}

export const NO_TIME = '—';

const ABSOLUTE: Intl.DateTimeFormatOptions = {
  year: 'numeric', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit', second: '2-digit', timeZoneName: 'short',
};

/** Date and time with seconds and the zone's name, in the user's locale: "Dec 4, 2026, 6:09:01 PM UTC". */
export function absoluteTime(t: string | Date | null | undefined, opts: TimeFormatOptions = {}): string {
  const ms = toMs(t);
  return ms === undefined ? NO_TIME : dtf(opts, ABSOLUTE).format(ms);
}

/** A calendar date in UTC ("Mar 4, 2024"): analytics buckets and other UTC days. */
export function utcDate(t: string | Date | null | undefined, opts: Pick<TimeFormatOptions, 'locale'> = {}): string {
  const ms = toMs(t);
  return ms === undefined ? NO_TIME : dtf({ ...opts, timeZone: 'UTC' }, { year: 'numeric', month: 'short', day: 'numeric' }).format(ms);
}

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['year', 365 * 86_400_000],
  ['month', 30 * 86_400_000],
  ['week', 7 * 86_400_000],
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
  ['second', 1000],
];

/**
 * How long ago (or how far ahead) from `now`: "3 minutes ago", "in 2 hours",
 * "yesterday", "now". The largest whole unit that fits, rounded toward zero,
 * so "59 minutes ago" is never shown as "1 hour ago".
 */
export function relativeTime(t: string | Date | null | undefined, now: number = Date.now(), opts: Pick<TimeFormatOptions, 'locale'> = {}): string {
  const ms = toMs(t);
  if (ms === undefined) return NO_TIME;
  const diff = ms - now;
  const abs = Math.abs(diff);
  for (const [unit, size] of UNITS) {
    if (abs >= size) return rtf(opts).format(Math.trunc(diff / size), unit);
  }
  return rtf(opts).format(0, 'second');
}

/**
 * Chart axis labels for points spread over `spanMs`: minutes apart need
 * seconds, weeks apart only the day; the day is always there so a label never
 * reads as a bare time of an unknown day. Axis titles name the zone
 * (`timeZoneLabel`).
 */
export function axisTime(t: string | Date, spanMs: number, opts: TimeFormatOptions = {}): string {
  const ms = toMs(t);
  if (ms === undefined) return NO_TIME;
  const parts: Intl.DateTimeFormatOptions =
    spanMs > 72 * 3_600_000 ? { year: 'numeric', month: 'short', day: 'numeric' }
      : spanMs > 3_600_000 ? { month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' }
        : { month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit', second: '2-digit' };
  return dtf(opts, parts).format(ms);
}

/** The zone times are shown in, for headings and axis titles: "UTC", "CET", "GMT+2". */
export function timeZoneLabel(opts: TimeFormatOptions = {}, at: number = Date.now()): string {
  const part = dtf(opts, { timeZoneName: 'short' }).formatToParts(at).find((p) => p.type === 'timeZoneName');
  return part?.value ?? dtf(opts, {}).resolvedOptions().timeZone;
}
