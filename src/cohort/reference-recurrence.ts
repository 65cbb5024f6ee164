/**
 * The reference meaning of the rules about when a user did an event over time
 * (`regularly`, `stopped`, `restarted`), written straight from the spec over
 * the times (ms) of a user's matching events, all already <= asOf.
 *
 * Durations shift by calendar months as windows do (`addMonthsUtc`: the day of
 * month is clamped), applied one after the other: r = asOf - inactive, then
 * r - active.
 */
import type { Duration, RegularlyRule, RestartedRule, StoppedRule } from '../schemas/definition';
import { addMonthsUtc } from './reference-evaluator';

const DAY_MS = 86_400_000;
const FIXED_MS = { minute: 60_000, hour: 3_600_000, day: DAY_MS, week: 7 * DAY_MS } as const;

/** ms - duration (calendar months for `month`). */
export function minusDuration(ms: number, d: Duration): number {
  return d.unit === 'month' ? addMonthsUtc(ms, -d.amount) : ms - d.amount * FIXED_MS[d.unit];
}

/** Start (ms) of the UTC calendar day, ISO week (Monday 00:00) or month containing ms. */
export function periodStartUtc(ms: number, period: RegularlyRule['period']): number {
  const day = Math.floor(ms / DAY_MS) * DAY_MS;
  if (period === 'day') return day;
  if (period === 'week') {
    const weekday = (new Date(day).getUTCDay() + 6) % 7; // Monday 0 … Sunday 6
    return day - weekday * DAY_MS;
  }
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

/** Start of the earliest of the `periods` periods that end with the one containing asOf. */
export function regularlyRangeStart(asOf: number, rule: Pick<RegularlyRule, 'period' | 'periods'>): number {
  const current = periodStartUtc(asOf, rule.period);
  const back = rule.periods - 1;
  if (rule.period === 'month') return addMonthsUtc(current, -back);
  return current - back * (rule.period === 'day' ? DAY_MS : 7 * DAY_MS);
}

/** How many of the last `periods` periods hold one of `times` (each <= asOf). */
export function activePeriods(times: number[], asOf: number, rule: Pick<RegularlyRule, 'period' | 'periods'>): number {
  const start = regularlyRangeStart(asOf, rule);
  return new Set(times.filter((t) => t >= start && t <= asOf).map((t) => periodStartUtc(t, rule.period))).size;
}

export function regularlyHolds(times: number[], asOf: number, rule: RegularlyRule): boolean {
  return activePeriods(times, asOf, rule) >= rule.atLeast;
}

/** The instants that bound a stopped rule: active in [activeFrom, inactiveFrom), nothing in [inactiveFrom, asOf]. */
export function stoppedBounds(asOf: number, rule: Pick<StoppedRule, 'active' | 'inactive'>) {
  const inactiveFrom = minusDuration(asOf, rule.inactive);
  return { activeFrom: minusDuration(inactiveFrom, rule.active), inactiveFrom };
}

export function stoppedHolds(times: number[], asOf: number, rule: StoppedRule): boolean {
  const { activeFrom, inactiveFrom } = stoppedBounds(asOf, rule);
  return times.some((t) => t >= activeFrom && t < inactiveFrom) && !times.some((t) => t >= inactiveFrom && t <= asOf);
}

/** The instants that bound a restarted rule: something before gapFrom, nothing in [gapFrom, returnedFrom), something in [returnedFrom, asOf]. */
export function restartedBounds(asOf: number, rule: Pick<RestartedRule, 'inactive' | 'returned'>) {
  const returnedFrom = minusDuration(asOf, rule.returned);
  return { gapFrom: minusDuration(returnedFrom, rule.inactive), returnedFrom };
}

export function restartedHolds(times: number[], asOf: number, rule: RestartedRule): boolean {
  const { gapFrom, returnedFrom } = restartedBounds(asOf, rule);
  return (
    times.some((t) => t >= returnedFrom && t <= asOf) &&
    !times.some((t) => t >= gapFrom && t < returnedFrom) &&
    times.some((t) => t < gapFrom)
  );
}
