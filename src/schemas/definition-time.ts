/**
 * Time in the cohort definition language: instants (dates and date-times),
 * units, durations and windows (shared/spec/cohort-definition.md). Re-exported
 * by definition.ts, which the rest of the code imports.
 */
import { z } from 'zod';

export const MAX_WINDOW_AMOUNT = 100_000;

/**
 * ISO-8601 date (midnight UTC) or date-time with seconds and an offset.
 * Definitions use at most millisecond precision (asOf and event times are JS Dates).
 */
const INSTANT_RE =
  /^([1-9]\d{3})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])(?:T([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d)(?:\.(\d{1,3}))?)?(Z|([+-])([01]\d|2[0-3]):([0-5]\d)))?$/;

/** Parses a definition Instant to a Date (UTC), or null when it is not one. */
export function parseInstant(text: string): Date | null {
  const m = INSTANT_RE.exec(text);
  if (!m) return null;
  const [, y, mo, d, h, mi, s, frac, , sign, oh, om] = m;
  const year = Number(y);
  const month = Number(mo) - 1;
  const day = Number(d);
  const date = new Date(0);
  date.setUTCFullYear(year, month, day);
  // Reject days that do not exist (2023-02-30) instead of rolling over.
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month || date.getUTCDate() !== day) return null;
  if (h !== undefined) {
    const ms = frac ? Number(frac.padEnd(3, '0')) : 0;
    date.setUTCHours(Number(h), Number(mi), s ? Number(s) : 0, ms);
    if (sign) {
      const offsetMin = (Number(oh) * 60 + Number(om)) * (sign === '+' ? 1 : -1);
      date.setTime(date.getTime() - offsetMin * 60_000);
    }
  }
  return date;
}

export const INSTANT_HINT = 'a date like 2023-03-22 or a date-time with offset like 2023-03-22T10:00:00Z';
export const instantSchema = z
  .string({ error: `needs ${INSTANT_HINT}` })
  .refine((s) => parseInstant(s) !== null, { message: `is not ${INSTANT_HINT}` });

export const unitSchema = z.enum(['minute', 'hour', 'day', 'week', 'month'], {
  error: 'unit must be one of minute, hour, day, week, month',
});

const amountSchema = z
  .number({ error: 'amount needs a whole number' })
  .int({ error: 'amount needs a whole number' })
  .min(1, { error: 'amount must be at least 1' })
  .max(MAX_WINDOW_AMOUNT, { error: `amount must be at most ${MAX_WINDOW_AMOUNT}` });

export const durationSchema = z.strictObject({ amount: amountSchema, unit: unitSchema });

export const windowSchema = z.discriminatedUnion(
  'type',
  [
    z.strictObject({ type: z.literal('all_time') }),
    z.strictObject({ type: z.literal('last'), amount: amountSchema, unit: unitSchema }),
    z.strictObject({ type: z.literal('since'), from: instantSchema }),
    z.strictObject({ type: z.literal('until'), to: instantSchema }),
    z
      .strictObject({ type: z.literal('between'), from: instantSchema, to: instantSchema })
      .refine(
        (w) => {
          const from = parseInstant(w.from);
          const to = parseInstant(w.to);
          return from === null || to === null || from.getTime() < to.getTime();
        },
        { message: 'between window: from must be before to (the window is from <= ts < to)', path: ['to'] },
      ),
  ],
  { error: 'window type must be one of all_time, last, since, until, between' },
);

export type Unit = z.infer<typeof unitSchema>;
export type Duration = z.infer<typeof durationSchema>;
export type Window = z.infer<typeof windowSchema>;
