/**
 * The reference implementation of the three charts (analytics.md), written
 * as plainly as possible over in-memory data: the oracle the SQL compilers
 * are tested against, as the reference evaluator is for cohorts.
 *
 * Results are numbers only, one entry per segment in request order; labels
 * and bucket instants are added by the service.
 */
import { addMonthsUtc, evaluateDefinition, passesWhere, readPath, toNumber, type EvalContext, type EvalData, type EvalEvent } from '../cohort/reference-evaluator.js';
import { parseInstant, type Duration } from '../schemas/definition.js';
import type { EventRef, FunnelRequest, RetentionRequest, Segment, SegmentationRequest } from '../schemas/analytics.js';
import { segmentSet } from './segments.js';
import { bucketStarts, DAY_MS, floorTo, WEEK_MS } from './time-buckets.js';

export interface SegmentationNumbers {
  /** Bucket starts, epoch ms. */
  buckets: number[];
  values: (number | null)[][];
}
export type FunnelNumbers = number[][];
export type RetentionNumbers = { users: number; retained: number[] }[];

const ms = (instant: string) => {
  const d = parseInstant(instant);
  if (!d) throw new Error(`not an Instant: ${instant}`);
  return d.getTime();
};

const FIXED_MS = { minute: 60_000, hour: 3_600_000, day: DAY_MS, week: WEEK_MS } as const;
const after = (t: number, w: Duration) => (w.unit === 'month' ? addMonthsUtc(t, w.amount) : t + w.amount * FIXED_MS[w.unit]);

function segmentMembers(data: EvalData, segment: Segment, ctx: EvalContext): Set<string> {
  const s = segmentSet(segment, ctx.resolveCohort);
  if (s.kind === 'all') return new Set(data.users);
  const set = s.kind === 'static' ? new Set(data.staticMembers[s.cohortId] ?? []) : evaluateDefinition(data, s.definition, ctx);
  return new Set(data.users.filter((u) => set.has(u) !== s.negate));
}

/** Events not after asOf matching the reference. */
function matching(data: EvalData, ref: EventRef, asOf: number): EvalEvent[] {
  return data.events.filter((e) => e.ts.getTime() <= asOf && e.event === ref.event && passesWhere(e.props, ref.where, ref.whereMatch));
}

export function segmentationReference(data: EvalData, req: SegmentationRequest, ctx: EvalContext): SegmentationNumbers {
  const [from, to, asOf] = [ms(req.from), ms(req.to), ctx.asOf.getTime()];
  const buckets = bucketStarts(from, to, req.interval);
  const inRange = matching(data, req.event, asOf).filter((e) => e.ts.getTime() >= from && e.ts.getTime() < to);
  const values = req.segments.map((segment) => {
    const members = segmentMembers(data, segment, ctx);
    return buckets.map((b) => {
      const evs = inRange.filter((e) => members.has(e.userId) && floorTo(e.ts.getTime(), req.interval) === b);
      if (req.measure === 'uniques') return new Set(evs.map((e) => e.userId)).size;
      if (req.measure === 'totals') return evs.length;
      const path = req.measure.property.split('.');
      const nums = evs.map((e) => toNumber(readPath(e.props, path))).filter((n): n is number => n !== null);
      if (nums.length === 0) return null;
      const sum = nums.reduce((a, n) => a + n, 0);
      return { sum, avg: sum / nums.length, min: Math.min(...nums), max: Math.max(...nums) }[req.measure.fn];
    });
  });
  return { buckets, values };
}

/** How many steps each user reached (0: never entered). */
function stepsReached(data: EvalData, req: FunnelRequest, asOf: number): Map<string, number> {
  const [from, to] = [ms(req.from), ms(req.to)];
  const times = req.steps.map((s) => matching(data, s, asOf));
  const out = new Map<string, number>();
  for (const user of data.users) {
    const mine = times.map((evs) => evs.filter((e) => e.userId === user).map((e) => e.ts.getTime()));
    const anchors = mine[0].filter((t) => t >= from && t < to);
    if (anchors.length === 0) continue;
    const t1 = Math.min(...anchors);
    const limit = after(t1, req.conversionWindow);
    let cur = t1;
    let reached = 1;
    for (let k = 1; k < req.steps.length; k++) {
      const next = mine[k].filter((t) => t > cur && t <= limit);
      if (next.length === 0) break;
      cur = Math.min(...next);
      reached++;
    }
    out.set(user, reached);
  }
  return out;
}

export function funnelReference(data: EvalData, req: FunnelRequest, ctx: EvalContext): FunnelNumbers {
  const reached = stepsReached(data, req, ctx.asOf.getTime());
  return req.segments.map((segment) => {
    const members = segmentMembers(data, segment, ctx);
    return req.steps.map((_, k) => [...reached].filter(([u, n]) => members.has(u) && n > k).length);
  });
}

export function retentionReference(data: EvalData, req: RetentionRequest, ctx: EvalContext): RetentionNumbers {
  const [from, to, asOf] = [ms(req.from), ms(req.to), ctx.asOf.getTime()];
  const period = req.period === 'day' ? DAY_MS : WEEK_MS;
  const starts = matching(data, req.start, asOf).filter((e) => e.ts.getTime() >= from && e.ts.getTime() < to);
  const returns = matching(data, req.return, asOf);
  /** Per user with a start: the period numbers n it returned in. */
  const cohort = new Map<string, Set<number>>();
  for (const user of data.users) {
    const mine = starts.filter((e) => e.userId === user).map((e) => e.ts.getTime());
    if (mine.length === 0) continue;
    const t0 = Math.min(...mine);
    const b = floorTo(t0, req.period);
    const ns = new Set<number>();
    for (const r of returns) {
      if (r.userId !== user || r.ts.getTime() < t0) continue;
      const n = (floorTo(r.ts.getTime(), req.period) - b) / period;
      if (n <= req.periods) ns.add(n);
    }
    cohort.set(user, ns);
  }
  return req.segments.map((segment) => {
    const members = segmentMembers(data, segment, ctx);
    const mine = [...cohort].filter(([u]) => members.has(u));
    const retained = Array.from({ length: req.periods + 1 }, (_, n) => mine.filter(([, ns]) => ns.has(n)).length);
    return { users: mine.length, retained };
  });
}
