/**
 * Compiles the three charts (analytics.md) to one `{ sql, params }` each,
 * through the cohort dialect (event filters, the numeric rule, hot columns,
 * asOf are the cohort compiler's own) and the analytics dialect (buckets).
 *
 * Segment members are common table expressions: a definition (unsaved, or a
 * saved dynamic cohort's) is the cohort compiler's query as of asOf; a static
 * cohort is its stored members. The per-user facts of a chart (matching
 * events, funnel progress, retention starts and returns) are computed once
 * and counted per segment, so a segment never changes what a user did.
 *
 * Each compiled chart has `decode`, turning the result rows into the same
 * numbers the reference implementation gives.
 */
import { compileDefinition, eventSql, type CompileContext, type EventSql } from '../cohort/cohort-compiler.js';
import { joinSql, scanPerson, Sql, sql, type ScanPerson, type SqlParam } from '../cohort/dialect.js';
import { parseInstant, type Duration } from '../schemas/definition.js';
import type { EventRef, FunnelRequest, RetentionRequest, Segment, SegmentationRequest } from '../schemas/analytics.js';
import type { AnalyticsDialect } from './analytics-dialect.js';
import { duckdbAnalyticsDialect } from './dialects/duckdb.js';
import type { FunnelNumbers, RetentionNumbers, SegmentationNumbers } from './reference.js';
import { segmentSet } from './segments.js';
import { bucketStarts, DAY_MS, WEEK_MS } from './time-buckets.js';

export type Row = Record<string, unknown>;

export interface CompiledChart<T> {
  sql: string;
  params: SqlParam[];
  decode(rows: Row[]): T;
}

const raw = (text: string) => new Sql(text);
const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

function ms(instant: string): number {
  const d = parseInstant(instant);
  if (!d) throw new Error(`not an Instant: ${instant}`);
  return d.getTime();
}

class ChartCompiler {
  private readonly ev: EventSql;
  private readonly events: Sql;
  /** Each scan's person (the row's key, or the person it was merged into: dialect.ts PersonScan). */
  private readonly person: ScanPerson;

  constructor(
    private readonly d: AnalyticsDialect,
    private readonly ctx: CompileContext,
  ) {
    this.ev = eventSql(ctx, d.base);
    this.events = raw(d.base.tables.events);
    this.person = scanPerson(d.base);
    if (d.base.personScan && !d.shapes) throw new Error('a dialect with a PersonScan writes its own chart shapes');
  }

  private at(t: number): Sql {
    return this.d.base.timestamp(new Date(t));
  }

  /**
   * A named part of the query: a CTE (added to `ctes`) read by its name, or, on an
   * engine without CTEs of queries (`shapes.inline`), the subquery itself at each reference.
   */
  private define(ctes: Sql[], name: string, query: Sql): Sql {
    if (this.d.shapes?.inline) return sql`(${query})`;
    ctes.push(this.d.cte(name, query));
    return raw(name);
  }

  /** One CTE per segment but `all`, and the condition "uid is in segment i". */
  private segments(segments: Segment[]): { ctes: Sql[]; member: (i: number, uid: Sql) => Sql } {
    const ctes: Sql[] = [];
    const conds: ((uid: Sql) => Sql)[] = segments.map((segment, i) => {
      const s = segmentSet(segment, this.ctx.resolveCohort);
      if (s.kind === 'all') return () => this.d.shapes?.always ?? raw('true');
      const name = `seg${i}`;
      let ref: Sql;
      if (s.kind === 'static') {
        ref = this.define(ctes, name, sql`SELECT DISTINCT uid FROM ${raw(this.d.base.tables.cohortMembers)} WHERE cohort_id = ${this.bindText(s.cohortId)}`);
      } else {
        const q = compileDefinition(s.definition, this.ctx, this.d.base);
        ref = this.define(ctes, name, new Sql(q.sql, q.params));
      }
      return (uid) => sql`${uid} ${raw(s.negate ? 'NOT IN' : 'IN')} (SELECT uid FROM ${ref})`;
    });
    return { ctes, member: (i, uid) => conds[i](uid) };
  }

  private bindText(s: string): Sql {
    return new Sql('?', [s]);
  }

  /** Rows `e` of events matching `ref` (not after asOf) with from <= ts < to. */
  private inRange(ref: EventRef, from: number, to: number): Sql {
    return joinSql([...this.ev.matching(raw('e'), ref), sql`e.ts >= ${this.at(from)}`, sql`e.ts < ${this.at(to)}`], ' AND ');
  }

  private query(ctes: Sql[], body: Sql): Sql {
    return ctes.length ? sql`WITH ${joinSql(ctes, ', ')} ${body}` : body;
  }

  segmentation(req: SegmentationRequest): CompiledChart<SegmentationNumbers> {
    const [from, to] = [ms(req.from), ms(req.to)];
    const buckets = bucketStarts(from, to, req.interval);
    const { ctes, member } = this.segments(req.segments);
    const m = req.measure;
    const bucket = this.d.bucketMs(raw('e.ts'), req.interval);
    // One row per user and bucket (far fewer than events): distinct users become a plain count.
    const v = typeof m === 'string' ? undefined : this.ev.propertyNumber(raw('e'), m.property.split('.'));
    const perUser =
      m === 'uniques' ? raw('')
      : m === 'totals' ? raw(', count(*) AS n')
      : m.fn === 'avg' ? sql`, sum(${v!}) AS s, count(${v!}) AS c`
      : sql`, ${raw(m.fn)}(${v!}) AS x`;
    const { pre, key: person, uid } = this.person;
    const perBucket = this.define(ctes, 'm', sql`${pre}SELECT ${uid}, ${bucket} AS bucket${perUser} FROM ${this.events} e WHERE ${this.inRange(req.event, from, to)} GROUP BY ${person}, ${bucket}`);
    const agg =
      m === 'uniques' ? raw('count(*)')
      : m === 'totals' ? raw('sum(n)')
      : m.fn === 'avg' ? raw('(sum(s) / sum(c))')
      : raw(`${m.fn}(x)`);
    const parts = req.segments.map((_, i) =>
      sql`SELECT ${this.d.bigint(i)} AS seg, bucket, ${agg} AS value FROM ${perBucket} WHERE ${member(i, raw('uid'))} GROUP BY bucket`,
    );
    const q = this.query(ctes, joinSql(parts, ' UNION ALL '));
    const empty = typeof m === 'string' ? 0 : null;
    return {
      sql: q.text,
      params: [...q.params],
      decode(rows) {
        const index = new Map(buckets.map((b, i) => [b, i]));
        const values = req.segments.map(() => buckets.map((): number | null => empty));
        for (const r of rows) {
          const i = index.get(Number(r.bucket));
          if (i === undefined) throw new Error(`segmentation: a row for an unknown bucket ${String(r.bucket)}`);
          values[Number(r.seg)][i] = num(r.value);
        }
        return { buckets, values };
      },
    };
  }

  funnel(req: FunnelRequest): CompiledChart<FunnelNumbers> {
    const [from, to] = [ms(req.from), ms(req.to)];
    const w: Duration = req.conversionWindow;
    const { ctes, member } = this.segments(req.segments);
    const [first, ...rest] = req.steps;
    const { pre, key: person, uid } = this.person;
    const f = [this.define(ctes, 'f1', sql`${pre}SELECT ${uid}, min(e.ts) AS t1, min(e.ts) AS t FROM ${this.events} e WHERE ${this.inRange(first, from, to)} GROUP BY ${person}`)];
    // Later steps are after t1 >= from and at or before t1 + window < to + window: implied bounds for zonemap pruning.
    const implied = [sql`e.ts > ${this.at(from)}`, sql`e.ts <= ${this.d.base.addInterval(this.at(to), w.amount, w.unit)}`];
    const shapes = this.d.shapes;
    rest.forEach((step, k) => {
      const limit = (t1: Sql) => this.d.base.addInterval(t1, w.amount, w.unit);
      const where = joinSql([...this.ev.matching(raw('e'), step), ...implied], ' AND ');
      const query = shapes
        ? shapes.funnelStep(this.events, f[k], where, limit)
        : sql`SELECT e.uid, p.t1, min(e.ts) AS t FROM ${this.events} e JOIN ${f[k]} p ON e.uid = p.uid AND e.ts > p.t AND e.ts <= ${limit(raw('p.t1'))} WHERE ${where} GROUP BY e.uid, p.t1`;
      f.push(this.define(ctes, `f${k + 2}`, query));
    });
    // Each f(k) is a subset of f(k-1): the furthest step a user reached is the last f holding it.
    const reached = req.steps
      .slice(1)
      .map((_, k) => `f${k + 2}`)
      .reverse()
      .map((f, j) => `WHEN ${f}.uid IS NOT NULL THEN ${req.steps.length - j}`)
      .join(' ');
    const joins = req.steps.slice(1).map((_, k) => `LEFT JOIN f${k + 2} ON f${k + 2}.uid = f1.uid`).join(' ');
    const reach = this.define(ctes, 'reach', shapes ? shapes.reach(f) : raw(`SELECT f1.uid, CASE ${reached} ELSE 1 END AS reached FROM f1 ${joins}`));
    const parts = req.segments.map((_, i) =>
      sql`SELECT ${this.d.bigint(i)} AS seg, reached, count(*) AS users FROM ${reach} WHERE ${member(i, raw('uid'))} GROUP BY reached`,
    );
    const q = this.query(ctes, joinSql(parts, ' UNION ALL '));
    return {
      sql: q.text,
      params: [...q.params],
      decode(rows) {
        const out = req.segments.map(() => req.steps.map(() => 0));
        for (const r of rows) {
          const n = Number(r.reached);
          for (let k = 0; k < n; k++) out[Number(r.seg)][k] += Number(r.users);
        }
        return out;
      },
    };
  }

  retention(req: RetentionRequest): CompiledChart<RetentionNumbers> {
    const [from, to] = [ms(req.from), ms(req.to)];
    const periodMs = req.period === 'day' ? DAY_MS : WEEK_MS;
    const d = this.d;
    const { ctes, member } = this.segments(req.segments);
    const st = this.define(
      ctes,
      'st',
      sql`SELECT uid, t0, ${d.bucketMs(raw('t0'), req.period)} AS b FROM (${this.person.pre}SELECT ${this.person.uid}, min(e.ts) AS t0 FROM ${this.events} e WHERE ${this.inRange(req.start, from, to)} GROUP BY ${this.person.key})`,
    );
    // A return counts from the start event on, up to the end of bucket B + periods; it is
    // then after `from` and before to + (periods + 1) periods (implied bounds for pruning).
    const span = (req.periods + 1) * periodMs;
    const where = joinSql(
      [...this.ev.matching(raw('e'), req.return), sql`e.ts >= ${this.at(from)}`, sql`e.ts < ${this.at(to + span)}`],
      ' AND ',
    );
    const period = (ts: Sql, b: Sql) => d.intDiv(sql`(${d.bucketMs(ts, req.period)} - ${b})`, d.bigint(periodMs));
    const before = (ts: Sql, b: Sql) => sql`${d.epochMs(ts)} < ${b} + ${d.bigint(span)}`;
    const ret = this.define(
      ctes,
      'ret',
      d.shapes
        ? d.shapes.returns(this.events, st, where, before, period)
        : sql`SELECT DISTINCT e.uid, ${period(raw('e.ts'), raw('s.b'))} AS n FROM ${this.events} e JOIN ${st} s ON e.uid = s.uid AND e.ts >= s.t0 AND ${before(raw('e.ts'), raw('s.b'))} WHERE ${where}`,
    );
    const parts = req.segments.flatMap((_, i) => [
      sql`SELECT ${d.bigint(i)} AS seg, ${d.bigint(-1)} AS n, count(*) AS users FROM ${st} WHERE ${member(i, raw('uid'))}`,
      sql`SELECT ${d.bigint(i)} AS seg, n, count(*) AS users FROM ${ret} WHERE ${member(i, raw('uid'))} GROUP BY n`,
    ]);
    const q = this.query(ctes, joinSql(parts, ' UNION ALL '));
    return {
      sql: q.text,
      params: [...q.params],
      decode(rows) {
        const out = req.segments.map(() => ({ users: 0, retained: Array.from({ length: req.periods + 1 }, () => 0) }));
        for (const r of rows) {
          const s = out[Number(r.seg)];
          const k = Number(r.n);
          if (k === -1) s.users = Number(r.users);
          else if (k >= 0 && k <= req.periods) s.retained[k] = Number(r.users);
          else throw new Error(`retention: a row for period ${k}`);
        }
        return out;
      },
    };
  }
}

export function compileSegmentation(req: SegmentationRequest, ctx: CompileContext, dialect: AnalyticsDialect = duckdbAnalyticsDialect) {
  return new ChartCompiler(dialect, ctx).segmentation(req);
}
export function compileFunnel(req: FunnelRequest, ctx: CompileContext, dialect: AnalyticsDialect = duckdbAnalyticsDialect) {
  return new ChartCompiler(dialect, ctx).funnel(req);
}
export function compileRetention(req: RetentionRequest, ctx: CompileContext, dialect: AnalyticsDialect = duckdbAnalyticsDialect) {
  return new ChartCompiler(dialect, ctx).retention(req);
}
