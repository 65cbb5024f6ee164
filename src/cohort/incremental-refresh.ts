/**
 * When a saved cohort's refresh may re-evaluate only some people, and which.
 *
 * Every compiled definition is per person: whether a user is a member depends
 * only on that user's own events and traits, the row in `users`, and asOf
 * (complements are taken against `users`, so negation stays per person). So
 * between two computations a user's membership can change only if
 *  1. their rows changed (new events or traits, a merge, a new person): the
 *     store knows these from its ingestion sequence;
 *  2. time alone moved a row across a boundary of the definition: a matching
 *     event or trait row with asOf0 < ts <= asOf1 now counts (`ts <= asOf`),
 *     or a relative window's start moved past a matching event
 *     (start(asOf0) <= ts < start(asOf1)). `refreshBand` selects these users.
 * Everyone else keeps their membership. Anything that breaks this reasoning
 * sends the cohort to a full recompute: see `refreshPlan`.
 */
import type { Definition, Rule, Unit, Window } from '../schemas/definition';
import type { CohortResolver } from './cohort-references';
import { bind, scanPerson, sql, Sql, type SqlDialect } from './dialect';

export type RefreshPlan =
  | { kind: 'full'; reason: string }
  | {
      kind: 'incremental';
      /** The definition with dynamic cohort references expanded: equal fingerprints, same meaning. */
      fingerprint: string;
      /** Event names any rule reads. */
      events: string[];
      /** Relative windows (`last`) of those rules: their start moves with asOf. */
      windows: { amount: number; unit: Unit }[];
      /** Top-level trait keys property rules read. */
      traitKeys: string[];
      /** The rules that read events (references expanded), each with the event names it reads. */
      scans: { events: string[]; rule: Rule }[];
    };

class FullRecompute extends Error {}

/**
 * Decides, per rule type, whether an incremental refresh is sound (when in doubt: full).
 * - event, sequence, first_time: per person; depend on asOf only through `ts <= asOf`
 *   and the start of a `last` window (`since` / `until` / `between` are fixed instants;
 *   `within` is relative to the person's own events).
 * - property: per person, reads trait rows with ts <= asOf; values compared with fixed instants.
 * - group, negate: combine per-person answers, so stay per person.
 * - cohort reference to a dynamic cohort: compiled inline, so as sound as its definition,
 *   which the fingerprint includes (a changed referenced definition forces a full recompute).
 * - FULL: cohort reference to a static list (its members change by add/remove, outside
 *   the ingestion sequence); regularly / stopped / restarted (periods aligned to asOf
 *   move every row's period, not only rows near a boundary); an unknown reference.
 */
export function refreshPlan(definition: Definition, resolve: CohortResolver): RefreshPlan {
  const events = new Set<string>();
  const traitKeys = new Set<string>();
  const windows = new Map<string, { amount: number; unit: Unit }>();
  const scans: { events: string[]; rule: Rule }[] = [];
  const addWindow = (w: Window | undefined) => {
    if (w?.type === 'last') windows.set(`${w.amount} ${w.unit}`, { amount: w.amount, unit: w.unit });
  };
  const expand = (rules: Rule[], stack: string[]): unknown[] =>
    rules.map((r): unknown => {
      switch (r.type) {
        case 'group':
          return { ...r, rules: expand(r.rules, stack) };
        case 'event':
        case 'first_time':
          events.add(r.event);
          addWindow(r.window);
          scans.push({ events: [r.event], rule: r });
          return r;
        case 'sequence':
          for (const s of r.steps) events.add(s.event);
          addWindow(r.window);
          scans.push({ events: [...new Set(r.steps.map((s) => s.event))], rule: r });
          return r;
        case 'property':
          traitKeys.add(r.property.split('.')[0]);
          return r;
        case 'regularly':
        case 'stopped':
        case 'restarted':
          throw new FullRecompute(`${r.type} rules depend on periods aligned to asOf`);
        case 'cohort': {
          const c = resolve(r.cohortId);
          if (!c) throw new FullRecompute(`cohort ${r.cohortId} is unknown`);
          if (c.kind === 'static') throw new FullRecompute('a static list changes outside the event sequence');
          if (stack.includes(r.cohortId)) throw new FullRecompute('cyclic reference');
          return { ...r, definition: { match: c.definition.match, rules: expand(c.definition.rules, [...stack, r.cohortId]) } };
        }
      }
    });
  try {
    const expanded = { match: definition.match, rules: expand(definition.rules, []) };
    return {
      kind: 'incremental',
      fingerprint: JSON.stringify(expanded),
      events: [...events].sort(),
      windows: [...windows.values()],
      traitKeys: [...traitKeys].sort(),
      scans,
    };
  } catch (err) {
    if (err instanceof FullRecompute) return { kind: 'full', reason: err.message };
    throw err;
  }
}

/**
 * What a refresh of the plan's definition reads, for a store that copies rows
 * (`IncrementalRefresh.reads`): the event names and trait keys, and each
 * event-reading rule compiled alone (`compile`: a definition over `dialect`).
 * Rules compile independently of their neighbours (a group only combines their
 * uid sets), so the columns a rule's SQL names are all its scans read of its events' rows.
 */
export function refreshReads(
  plan: Extract<RefreshPlan, { kind: 'incremental' }>,
  compile: (definition: Definition, dialect: SqlDialect) => { sql: string },
): { events: readonly string[]; traitKeys: readonly string[]; scans(dialect: SqlDialect): { events: readonly string[]; sql: string }[] } {
  return {
    events: plan.events,
    traitKeys: plan.traitKeys,
    scans: (dialect) => plan.scans.map((s) => ({ events: s.events, sql: compile({ match: 'all', rules: [s.rule] }, dialect).sql })),
  };
}

/**
 * The `uid`s whose membership may change between asOf `from` and `to` with no
 * new data (point 2 above), `from <= to`: SELECTs whose union is the band. One
 * per event name and moved range, so each is a narrow slice of a table sorted by
 * (event, ts) (an OR of ranges scanned every row of the event), and refreshes of
 * several cohorts can drop the parts they share.
 */
export function refreshBand(plan: Extract<RefreshPlan, { kind: 'incremental' }>, from: Date, to: Date, d: SqlDialect): Sql[] {
  const t0 = d.timestamp(from);
  const t1 = d.timestamp(to);
  const parts: Sql[] = [];
  const ranges = [sql`e.ts > ${t0} AND e.ts <= ${t1}`];
  for (const w of plan.windows) {
    const s0 = d.addInterval(t0, -w.amount, w.unit);
    const s1 = d.addInterval(t1, -w.amount, w.unit);
    // Calendar months clamp, so the start moves monotonically; both orders are covered anyway (one is empty).
    ranges.push(sql`e.ts >= ${s0} AND e.ts < ${s1}`, sql`e.ts >= ${s1} AND e.ts < ${s0}`);
  }
  const { pre, uid } = scanPerson(d);
  for (const event of plan.events) {
    for (const r of ranges) parts.push(sql`${pre}SELECT ${uid} FROM ${new Sql(d.tables.events)} e WHERE e.event = ${bind(event)} AND ${r}`);
  }
  for (const key of plan.traitKeys) {
    parts.push(sql`SELECT t.uid FROM ${new Sql(d.tables.traits)} t WHERE t.key = ${bind(key)} AND t.ts > ${t0} AND t.ts <= ${t1}`);
  }
  return parts;
}
