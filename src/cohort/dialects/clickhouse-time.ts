/**
 * Time in the ClickHouse dialect. Timestamps are Int64 microseconds since the
 * epoch (UTC): 18.16 has no DateTime64, and the reference compares property
 * instants to the microsecond. Bounds computed from asOf are constants, so
 * their calendar arithmetic runs here (exact, any year); only arithmetic on a
 * column (a sequence's `within` from its first step, a row's period) is SQL,
 * through ClickHouse's UTC calendar functions, which cover 1970 to 2105 on 18.16
 * (the writer refuses events outside that range).
 */
import type { Unit } from '../../schemas/definition';
import { Sql } from '../dialect';
import { inlineParams, quoteClickHouseString } from './clickhouse-literals';

/** A fragment's text with its values inlined, so it can be repeated inside an expression. */
const flat = (s: Sql) => inlineParams(s.text, s.params);

const MICROS: Record<Exclude<Unit, 'month'>, bigint> = {
  minute: 60_000_000n,
  hour: 3_600_000_000n,
  day: 86_400_000_000n,
  week: 604_800_000_000n,
};
const DAY = MICROS.day;
const WEEK = MICROS.week;

/** A timestamp known when compiling: its microseconds, rendered as an integer literal. */
export class ConstTs extends Sql {
  constructor(readonly micros: bigint) {
    super(`toInt64(${micros.toString()})`);
  }
}

/** The UTC range ClickHouse 18.16's DateTime holds (seconds since the epoch, UInt32). */
export const MIN_EVENT_MS = 0;
export const MAX_EVENT_MS = 4_294_967_295_000;

export function constTs(d: Date): ConstTs {
  const ms = d.getTime();
  if (!Number.isFinite(ms)) throw new Error('invalid date');
  return new ConstTs(BigInt(ms) * 1000n);
}

const floorDiv = (a: bigint, b: bigint) => (a >= 0n ? a / b : -((-a + b - 1n) / b));
const mod = (a: bigint, b: bigint) => ((a % b) + b) % b;

/** Calendar months added in UTC, the day of month clamped to the target month's length (the reference's rule). */
function addMonthsMicros(us: bigint, n: number): bigint {
  const ms = Number(floorDiv(us, 1000n));
  const sub = mod(us, 1000n);
  const d = new Date(ms);
  const total = d.getUTCFullYear() * 12 + d.getUTCMonth() + n;
  const year = Math.floor(total / 12);
  const month = total - year * 12;
  const lastDay = new Date(0);
  lastDay.setUTCFullYear(year, month + 1, 0);
  const out = new Date(ms);
  out.setUTCFullYear(year, month, Math.min(d.getUTCDate(), lastDay.getUTCDate()));
  return BigInt(out.getTime()) * 1000n + sub;
}

function periodStartMicros(us: bigint, period: 'day' | 'week' | 'month'): bigint {
  if (period === 'day') return us - mod(us, DAY);
  // The epoch was a Thursday: Mondays are 3 days after a multiple of a week.
  if (period === 'week') return us - mod(us + 3n * DAY, WEEK);
  const d = new Date(Number(floorDiv(us, 1000n)));
  return BigInt(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1)) * 1000n;
}

const seconds = (t: string) => `toDateTime(intDiv(${t}, 1000000), 'UTC')`;
const fromDateTime = (dt: string) => `(toInt64(toUInt32(${dt})) * 1000000)`;

export function addInterval(ts: Sql, amount: number, unit: Unit): Sql {
  if (!Number.isInteger(amount)) throw new Error('interval amount must be an integer');
  if (ts instanceof ConstTs) {
    return new ConstTs(unit === 'month' ? addMonthsMicros(ts.micros, amount) : ts.micros + BigInt(amount) * MICROS[unit]);
  }
  const t = flat(ts);
  if (unit !== 'month') return new Sql(`(${t} + ${(BigInt(amount) * MICROS[unit]).toString()})`);
  return new Sql(`(${fromDateTime(`addMonths(${seconds(t)}, ${amount})`)} + ${t} % 1000000)`);
}

export function calendarPeriodStart(ts: Sql, period: 'day' | 'week' | 'month'): Sql {
  if (ts instanceof ConstTs) return new ConstTs(periodStartMicros(ts.micros, period));
  const t = flat(ts);
  if (period === 'day') return new Sql(`(${t} - ((${t} % ${DAY} + ${DAY}) % ${DAY}))`);
  if (period === 'week') return new Sql(`(${t} - (((${t} + ${3n * DAY}) % ${WEEK} + ${WEEK}) % ${WEEK}))`);
  return new Sql(fromDateTime(`toDateTime(toStartOfMonth(${seconds(t)}), 'UTC')`));
}

export function utcDay(ts: Sql): Sql {
  const t = flat(ts);
  return new Sql(`(intDiv(${t}, ${DAY}) - (${t} % ${DAY} < 0))`);
}

// ------------------------------------------------------------------ instants held in text

/** The reference's Instant pattern: a date, or a date-time (optional seconds and up to 9 fraction digits) with Z or an offset. */
const INSTANT_PATTERN =
  '^[1-9][0-9]{3}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])(T([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\\.[0-9]{1,9})?)?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9]))?$';

/**
 * SQL for the microseconds (UTC) a text holding an Instant stands for, else NULL. ClickHouse
 * 18.16 evaluates every branch of if(), so each part parses with *OrZero and the
 * result is kept only where the pattern matched and the day exists. Days come
 * from the civil-date formula (Howard Hinnant's days_from_civil), exact for
 * every year the pattern admits.
 */
export function instantMicros(text: Sql): Sql {
  const t = flat(text);
  const num = (from: number, len: number) => `toInt64OrZero(substring(${t}, ${from}, ${len}))`;
  const y = num(1, 4);
  const m = num(6, 2);
  const d = num(9, 2);
  const leap = `((${y} % 4 = 0 AND ${y} % 100 != 0) OR ${y} % 400 = 0)`;
  const monthDays = `if(${m} = 2, 28 + ${leap}, [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][${m}])`;
  const yy = `(${y} - (${m} <= 2))`;
  const era = `intDiv(${yy}, 400)`;
  const yoe = `(${yy} - ${era} * 400)`;
  const doy = `(intDiv(153 * ((${m} + 9) % 12) + 2, 5) + ${d} - 1)`;
  const days = `(${era} * 146097 + ${yoe} * 365 + intDiv(${yoe}, 4) - intDiv(${yoe}, 100) + ${doy} - 719468)`;
  const len = `length(${t})`;
  const zulu = `(substring(${t}, ${len}, 1) = 'Z')`;
  const hasSeconds = `(substring(${t}, 17, 1) = ':')`;
  const offsetSign = `if(substring(${t}, ${len} - 5, 1) = '-', -1, 1)`;
  const offsetMinutes = `if(${zulu}, 0, ${offsetSign} * (toInt64OrZero(substring(${t}, ${len} - 4, 2)) * 60 + toInt64OrZero(substring(${t}, ${len} - 1, 2))))`;
  const secs = `if(${hasSeconds}, ${num(18, 2)}, 0)`;
  // Fraction digits run from position 21 to the zone (1 character for Z, 6 for an offset).
  const fracLen = `(${len} - 20 - if(${zulu}, 1, 6))`;
  const frac = `if(${hasSeconds} AND substring(${t}, 20, 1) = '.', toInt64OrZero(substring(concat(substring(${t}, 21, ${fracLen}), '000000'), 1, 6)), 0)`;
  const timeMicros = `((${num(12, 2)} * 3600 + ${num(15, 2)} * 60 + ${secs} - ${offsetMinutes} * 60) * 1000000 + ${frac})`;
  const micros = `(${days} * ${DAY} + if(${len} = 10, 0, ${timeMicros}))`;
  return new Sql(`if(match(${t}, ${quoteClickHouseString(INSTANT_PATTERN)}) AND ${d} <= ${monthDays}, ${micros}, NULL)`);
}
