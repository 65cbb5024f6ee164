/**
 * What a refresh pass copies for its candidates (member-set-pass-copy.ts) over a store with
 * typed hot columns and per-(event, person) summaries, as the server compiles for it: only
 * the event names and trait keys the pass's definitions read, per event only the columns
 * the definitions reading it name; and passes over those copies equal a full recompute of
 * every cohort, including definitions whose events are in no copy (never written) and
 * events no definition reads.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileDefinition, type CompileContext } from '../../cohort/cohort-compiler.js';
import { refreshBand, refreshPlan, refreshReads } from '../../cohort/incremental-refresh.js';
import type { SqlDialect } from '../../cohort/dialect.js';
import { resolver } from '../../cohort/test-support/duckdb-fixture.js';
import { parseDefinition, type Definition } from '../../schemas/definition.js';
import type { WriteItem } from '../event-store.js';
import type { IncrementalRefresh, MembershipStore, RefreshItem } from '../membership-store.js';
import { openDatabase, type Database } from './database.js';
import { openDuckDBEventStore, type DuckDBEventStore } from './duckdb-event-store.js';
import { createDuckDBMembershipStore } from './duckdb-membership-store.js';
import { narrowed } from './member-set-pass.js';
import { copyCandidateRows } from './member-set-pass-copy.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2024, 0, 1);
const at = (days: number) => new Date(T0 + days * DAY);
const def = (raw: unknown): Definition => {
  const r = parseDefinition(raw);
  if (!r.ok) throw new Error(r.issues[0].message);
  return r.value;
};
const all = (...rules: unknown[]) => def({ match: 'all', rules });

/** Definitions over different events and columns: hot numbers and keys (summaries), JSON-only properties, traits, sequences. */
const DEFS: Record<string, Definition> = {
  cartAvg: all({ type: 'event', event: 'cart', aggregate: { fn: 'avg', property: 'price', op: 'between', value: [10, 20] } }),
  viewKinds: all({ type: 'event', event: 'view', aggregate: { fn: 'distinct', property: 'category', op: 'gte', value: 2 }, window: { type: 'last', amount: 30, unit: 'day' } }),
  googleSignup: all({ type: 'event', event: 'signup', where: [{ property: 'method', op: 'eq', value: 'google' }] }),
  neverWritten: all({ type: 'event', event: 'never_written', negate: true }, { type: 'property', property: 'plan', op: 'eq', value: 'pro' }),
  viewThenCart: all({ type: 'sequence', steps: [{ event: 'view' }, { event: 'cart' }], within: { amount: 2, unit: 'day' } }),
  bigCartNoSignup: all({ type: 'event', event: 'cart', where: [{ property: 'price', op: 'gt', value: 25 }] }, { type: 'event', event: 'signup', negate: true, window: { type: 'last', amount: 10, unit: 'day' } }),
};

const PEOPLE = Array.from({ length: 12 }, (_, i) => `p${i}`);
let seed = 7;
const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)];

/** Random rows: mostly cart and view (they get hot columns), some signups and other events, plan changes. */
function rows(n: number, fromDay: number, toDay: number): WriteItem[] {
  return Array.from({ length: n }, (): WriteItem => {
    const ts = new Date(at(fromDay).getTime() + Math.floor(rnd() * (toDay - fromDay) * DAY));
    const r = rnd();
    const externalId = pick(PEOPLE);
    if (r < 0.4) return { kind: 'track', externalId, event: 'cart', ts, props: { price: Math.floor(rnd() * 40) } };
    if (r < 0.8) return { kind: 'track', externalId, event: 'view', ts, props: { category: pick(['a', 'b', 'c']) } };
    if (r < 0.87) return { kind: 'track', externalId, event: 'signup', ts, props: { method: pick(['google', 'email']) } };
    if (r < 0.95) return { kind: 'track', externalId, event: 'other', ts, props: { price: 1, method: 'google' } };
    return { kind: 'identify', externalId, traits: { plan: pick(['pro', 'free']), email: 'x' }, ts };
  });
}

let db: Database;
let store: DuckDBEventStore;
let members: MembershipStore;
const failures: string[] = [];

beforeAll(async () => {
  db = await openDatabase(':memory:');
  // price and category are carried by 40% of the events each: hot; method (signup, other: 15%) stays JSON only.
  store = await openDuckDBEventStore(db, { hotPolicy: { maxSlots: 8, minShare: 0.3, minRows: 0 }, rollupPolicy: { minRows: 0, staleShare: 0.1 } });
  members = createDuckDBMembershipStore(db, await db.connect(), store.writer.ids, { log: (m, e) => failures.push(`${m}: ${String(e)}`) });
  await store.write(rows(400, 0, 60));
  // Bystanders, so that the people of an increment stay a small share (else a pass recomputes in full);
  // their rows are two years older than any asOf, out of reach of every moved window boundary.
  await store.write(PEOPLE.flatMap((_, k) => Array.from({ length: 25 }, (_, i): WriteItem => ({ kind: 'track', externalId: `by${k}-${i}`, event: i % 2 ? 'cart' : 'view', ts: at(-700 + i), props: { price: i, category: 'a' } }))));
  await store.reorganize();
  expect(store.materializedProperties().map((m) => m.path)).toEqual(expect.arrayContaining([['price'], ['category']]));
  expect(store.materializedProperties().map((m) => m.path)).not.toContainEqual(['method']);
  expect(store.eventRollup()).toBeDefined();
});
afterAll(async () => {
  await store.close();
  await db.close();
});

/** As the server compiles (main.ts): hot columns and summaries in the context. */
function item(cohortId: string, d: Definition, asOf: Date, withReads = true): RefreshItem {
  const ctx: CompileContext = { asOf, resolveCohort: resolver({}), materialized: store.materializedProperties(), rollup: store.eventRollup() };
  const plan = refreshPlan(d, ctx.resolveCohort);
  if (plan.kind !== 'incremental') throw new Error(plan.reason);
  const incremental: IncrementalRefresh = {
    asOf,
    fingerprint: plan.fingerprint,
    compile: (dialect: SqlDialect) => compileDefinition(d, ctx, dialect),
    band: (from: Date, dialect: SqlDialect) => refreshBand(plan, from, asOf, dialect),
    ...(withReads ? { reads: refreshReads(plan, (d, dialect) => compileDefinition(d, ctx, dialect)) } : {}),
  };
  return { cohortId, full: compileDefinition(d, ctx), incremental };
}

async function setOf(cohortId: string): Promise<string[]> {
  const out: string[] = [];
  for await (const page of members.streamMembers(cohortId)) out.push(...page);
  return out.sort();
}

describe('refresh pass copies', () => {
  it('hold only the events and trait keys read, per event only the columns its definitions name', async () => {
    // A connection of its own (closed with the database): the copies are its temp tables.
    const c: DuckDBConnection = (await db.connect()).raw;
    try {
      await c.run('CREATE TEMP TABLE cands AS SELECT uid FROM users');
      const asOf = at(61);
      // The second definition reads view (no property) and signup (a JSON property): only signup's rows need props.
      const mixed = all({ type: 'event', event: 'view', count: { op: 'gte', value: 2 } }, { type: 'event', event: 'signup', where: [{ property: 'method', op: 'eq', value: 'google' }] });
      const chosen = [DEFS.cartAvg, mixed, DEFS.neverWritten];
      const items = chosen.map((d, k) => {
        const i = item(`copy-${k}`, d, asOf).incremental!;
        return { incremental: i, sql: i.compile(narrowed(true)).sql };
      });
      // Over the narrowed tables the summaries are not read: they cover everyone.
      for (const i of items) expect(i.sql).not.toMatch(/event_rollup/);
      await copyCandidateRows(c, items, 'cands', narrowed(true));
      const read = async (q: string) => (await c.runAndReadAll(q)).getRowObjects();
      expect((await read('SELECT DISTINCT event FROM kohort_pass_events ORDER BY 1')).map((r) => r.event)).toEqual(['cart', 'signup', 'view']);
      const [want] = await read(`SELECT count(*) AS n FROM events_all WHERE event IN ('cart', 'signup', 'view')`);
      const [got] = await read('SELECT count(*) AS n FROM kohort_pass_events');
      expect(got.n).toBe(want.n);
      // signup's filter is on JSON: its rows carry props; cart's definition reads only typed columns.
      const [signup] = await read(`SELECT count(*) FILTER (props IS NULL) AS missing FROM kohort_pass_events WHERE event = 'signup'`);
      expect(Number(signup.missing)).toBe(0);
      const [others] = await read(`SELECT count(*) FILTER (props IS NOT NULL) AS present FROM kohort_pass_events WHERE event <> 'signup'`);
      expect(Number(others.present)).toBe(0);
      // cart's average reads its typed price; view rows keep none of it.
      const col = store.materializedProperties().find((m) => m.path.join('.') === 'price')!.number;
      const [price] = await read(`SELECT count(*) FILTER (event = 'cart' AND ${col} IS NULL) AS cart, count(*) FILTER (event = 'view' AND ${col} IS NOT NULL) AS view FROM kohort_pass_events`);
      expect([Number(price.cart), Number(price.view)]).toEqual([0, 0]);
      expect((await read('SELECT DISTINCT key FROM kohort_pass_traits_current ORDER BY 1')).map((r) => r.key)).toEqual(['plan']);
      // No current trait is dated after asOf: no history row is needed.
      expect((await read('SELECT count(*) AS n FROM kohort_pass_traits'))[0].n).toBe(0n);
    } finally {
      await c.run('DROP TABLE IF EXISTS cands');
    }
  });

  it('a pass over them equals a full recompute of every cohort, increment after increment', async () => {
    const names = Object.keys(DEFS);
    let day = 61;
    for (let round = 0; round < 6; round++) {
      // Rows after the summaries (and some dated after asOf, and traits dated after asOf from round 3 on).
      await store.write(rows(40, day - 20, day + 2));
      // Someone's current plan is dated after asOf: as of asOf, the plan before it counts (read from the trait history).
      const later = PEOPLE[round];
      await store.write([
        { kind: 'identify', externalId: later, traits: { plan: 'pro' }, ts: at(day - 1) },
        { kind: 'identify', externalId: later, traits: { plan: 'free' }, ts: at(day + 1) },
      ]);
      if (round === 3) await store.reorganize();
      const asOf = at(day + (round % 2 ? 0.5 : 0));
      // Round 2 leaves out `reads` for one definition: the pass then copies everything.
      const items = names.map((n, k) => item(`pass-${n}`, DEFS[n], asOf, !(round === 2 && k === 0)));
      const outcomes = await members.refreshMany(items);
      for (const [k, o] of outcomes.entries()) {
        if (!o.ok) throw o.error;
        if (round > 0) expect(o.result.reevaluated).not.toBeNull();
        const want = await members.replaceMembers(`full-${names[k]}`, items[k].full);
        const label = `${names[k]}, round ${round}`;
        expect({ label, members: await setOf(items[k].cohortId), size: o.result.size }).toEqual({ label, members: await setOf(`full-${names[k]}`), size: want.size });
        if (round > 0) expect({ label, entered: o.result.entered, exited: o.result.exited }).toEqual({ label, entered: want.entered, exited: want.exited });
      }
      day += 1 + (round % 3);
    }
    expect(failures).toEqual([]);
  });
});
