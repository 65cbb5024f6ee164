import { copyFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { createKohort, type Kohort } from '../../src/main.js';
import type { BenchContext, CaseResult } from '../harness.js';
import { BRIEF, median } from './cohort-preview.js';
import { data20m } from './seed-20m.js';
import { userIdOf } from '../../src/seed/seed-data.js';
import type { WriteItem } from '../../src/storage/event-store.js';
import { asDuckDBEventsEngine } from '../../src/storage/duckdb/duckdb-engine.js';

const INCREMENT = 10_000;
const TRAITS = 500;

export const name = 'cohort-refresh';
export const description =
  'Refreshing 50 saved dynamic cohorts end to end on a COPY of the 20M-event / 1M-user seeded store (`.tmp/bench-cohort-refresh/`; the shared ' +
  'file is never written): the composition root (`createKohort`, background work and schedulers off) runs in this process, the 50 cohorts are created ' +
  'through the cohort service (their first computation is not timed), then each is refreshed once with `cohorts.refresh(id)` (what ' +
  '`POST /v1/cohorts/:id/refresh` calls), one at a time as the scheduler did before passes: compile with references resolved, recompute the members into ' +
  '`cohort_members`, record history and metadata; and all 50 in one scheduler pass with `cohorts.refreshMany(ids)` (one read of who changed, one candidate ' +
  'set whose rows are copied once, one difference and one metadata transaction for all). No refresh target is stated in the spec; per-cohort figures are compared with the 100 ms preview ' +
  'target and the total with 50 × 100 ms (issue 15: ≤ 5 s). Six rounds (full, incremental, pass, incremental, pass, full): before each, a realistic increment of ' +
  `${INCREMENT.toLocaleString('en-US')} events (plus ${TRAITS} plan changes) from random seeded people, dated within the last hour, is written through the event store; ` +
  'a full round first spoils every cohort\'s stored fingerprint (`cohort_refresh_state`, as a changed definition would), so each cohort recomputes everyone; an incremental round ' +
  're-evaluates only the people with rows since the last refresh and those a moved window boundary can change. Both write only the membership changes.';

const PREVIEW_TARGET_MS = 100;
const SEED_USERS = 1_000_000;

type Def = Record<string, unknown>;
const all = (...rules: Def[]): Def => ({ match: 'all', rules });
const last = (amount: number, unit: string) => ({ type: 'last', amount, unit });

/**
 * 50 definitions over the seeded data, built when each cohort is created:
 * `ref(name)` is the id of a cohort created earlier in the list.
 */
export function definitions(ref: (name: string) => string): { name: string; definition: () => Def }[] {
  const out: { name: string; definition: () => Def }[] = [];
  const add = (n: string, definition: Def | (() => Def)) => out.push({ name: n, definition: typeof definition === 'function' ? definition : () => definition });
  for (const brand of ['something', 'stark', 'hooli', 'initech', 'wayne']) {
    for (const price of [500, 1000]) {
      add(`${brand} over ${price}, more than once since 2023-03-22`, {
        ...BRIEF,
        rules: [{ ...(BRIEF.rules[0] as Def), where: [{ property: 'brand', op: 'eq', value: brand }, { property: 'price', op: 'gt', value: price }] }],
      });
    }
  }
  add('downloaded, never signed up', all({ type: 'event', event: 'app_download' }, { type: 'event', event: 'signup_activity', negate: true }));
  add('downloaded, no signup in a year', all({ type: 'event', event: 'app_download' }, { type: 'event', event: 'signup_activity', negate: true, window: last(365, 'day') }));
  add('no signup in 90 days', all({ type: 'event', event: 'signup_activity', negate: true, window: last(90, 'day') }));
  for (const [amount, unit] of [[1, 'hour'], [1, 'day'], [1, 'week']] as const) {
    add(`cart then purchase within ${amount} ${unit}`, all({ type: 'sequence', steps: [{ event: 'cart' }, { event: 'purchase' }], within: { amount, unit }, window: last(90, 'day') }));
  }
  add('view then cart within 1 day, last 30 days', all({ type: 'sequence', steps: [{ event: 'view' }, { event: 'cart' }], within: { amount: 1, unit: 'day' }, window: last(30, 'day') }));
  for (const days of [7, 30, 90]) add(`first purchase in ${days} days`, all({ type: 'first_time', event: 'purchase', window: last(days, 'day') }));
  add('first cart in 30 days', all({ type: 'first_time', event: 'cart', window: last(30, 'day') }));
  for (const v of [1000, 5000, 10000]) add(`revenue over ${v} in a year`, all({ type: 'event', event: 'purchase', aggregate: { fn: 'sum', property: 'revenue', op: 'gt', value: v }, window: last(365, 'day') }));
  add('cart avg price 0-100', all({ type: 'event', event: 'cart', aggregate: { fn: 'avg', property: 'price', op: 'between', value: [0, 100] } }));
  add('cart avg price 500-1500', all({ type: 'event', event: 'cart', aggregate: { fn: 'avg', property: 'price', op: 'between', value: [500, 1500] } }));
  for (const v of [3, 5]) add(`viewed ${v}+ categories in 90 days`, all({ type: 'event', event: 'view', aggregate: { fn: 'distinct', property: 'category', op: 'gte', value: v }, window: last(90, 'day') }));
  add('bought 3+ brands', all({ type: 'event', event: 'purchase', aggregate: { fn: 'distinct', property: 'brand', op: 'gte', value: 3 } }));
  for (const d of [3, 5, 10]) add(`viewed on ${d}+ days of 30`, all({ type: 'event', event: 'view', countBy: 'days', count: { op: 'gte', value: d }, window: last(30, 'day') }));
  for (const cats of [['laptops', 'phones'], ['cameras', 'headphones']]) {
    add(`${cats.join('/')} buyers or cart-heavy, no banner clicks`, all(
      { type: 'group', match: 'any', rules: [
        { type: 'event', event: 'purchase', where: [{ property: 'category', op: 'in', value: cats }], window: last(6, 'month') },
        { type: 'event', event: 'cart', count: { op: 'gte', value: 3 }, window: last(30, 'day') },
      ] },
      { type: 'group', match: 'all', negate: true, rules: [{ type: 'event', event: 'click', where: [{ property: 'target', op: 'eq', value: 'banner' }], window: last(90, 'day') }] },
    ));
  }
  add('pro in US or DE', all({ type: 'property', property: 'plan', op: 'eq', value: 'pro' }, { type: 'property', property: 'country', op: 'in', value: ['US', 'DE'] }));
  add('pro or plus', all({ type: 'property', property: 'plan', op: 'in', value: ['pro', 'plus'] }));
  add('in the US', all({ type: 'property', property: 'country', op: 'eq', value: 'US' }));
  add('signed up after 2025-01-01', all({ type: 'property', property: 'signup_date', op: 'after', value: '2025-01-01' }));
  add('something buyers not on free', () => all({ type: 'cohort', cohortId: ref('something over 1000, more than once since 2023-03-22') }, { type: 'property', property: 'plan', op: 'neq', value: 'free' }));
  add('stark buyers who never signed up', () => all({ type: 'cohort', cohortId: ref('stark over 500, more than once since 2023-03-22') }, { type: 'cohort', cohortId: ref('downloaded, never signed up') }));
  add('pro, not a recent first buyer', () => all({ type: 'cohort', cohortId: ref('pro or plus') }, { type: 'cohort', cohortId: ref('first purchase in 30 days'), negate: true }));
  add('any of two saved cohorts', () => ({ match: 'any', rules: [{ type: 'cohort', cohortId: ref('revenue over 10000 in a year') }, { type: 'cohort', cohortId: ref('viewed on 10+ days of 30') }] }));
  add('fewer than 3 purchases in a year', all({ type: 'event', event: 'purchase', count: { op: 'lt', value: 3 }, window: last(12, 'month') }));
  add('no click in 30 days', all({ type: 'event', event: 'click', count: { op: 'lt', value: 1 }, window: last(30, 'day') }));
  add('category page clicks', all({ type: 'event', event: 'click', where: [{ property: 'page', op: 'contains', value: 'Cat' }], window: last(30, 'day') }));
  add('recommendation clicks', all({ type: 'event', event: 'click', where: [{ property: 'target', op: 'starts_with', value: 'rec' }], window: last(30, 'day') }));
  add('bought sku_0000-0049 in 90 days', all({ type: 'event', event: 'purchase', where: [{ property: 'product_id', op: 'regex', value: '^sku_00[0-4]' }], window: last(90, 'day') }));
  add('viewed something 10+ times in 30 days', all({ type: 'event', event: 'view', where: [{ property: 'brand', op: 'eq', value: 'something' }], count: { op: 'gte', value: 10 }, window: last(30, 'day') }));
  add('iOS downloads', all({ type: 'event', event: 'app_download', where: [{ property: 'platform', op: 'eq', value: 'ios' }] }));
  add('google or apple signups in a year', all({ type: 'event', event: 'signup_activity', where: [{ property: 'method', op: 'in', value: ['google', 'apple'] }], window: last(365, 'day') }));
  return out;
}

export async function run(ctx: BenchContext): Promise<CaseResult> {
  // An existing seed is copied without being opened (opening may checkpoint it; other processes read it meanwhile).
  const seeded = join(ctx.tmp, 'bench-20m', 'kohort.duckdb');
  const src = existsSync(seeded) ? seeded : join(await data20m(ctx), 'kohort.duckdb');
  const dir = join(ctx.tmp, 'bench-cohort-refresh');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const dbPath = join(dir, 'kohort.duckdb');
  copyFileSync(src, dbPath);
  let k: Kohort | undefined;
  try {
    const t0 = performance.now();
    k = await createKohort({ dbPath, adminToken: 'bench-cohort-admin', writeKey: 'bench-cohort-write', background: false, schedulers: false });
    ctx.log(`store opened in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const ids = new Map<string, string>();
    const ref = (n: string) => {
      const id = ids.get(n);
      if (!id) throw new Error(`cohort "${n}" is referenced before it is created`);
      return id;
    };
    const defs = definitions(ref);
    if (defs.length !== 50) throw new Error(`expected 50 definitions, have ${defs.length}`);
    for (const d of defs) {
      const c = await k.cohorts.create({ name: d.name, kind: 'dynamic', refresh: 'manual', definition: d.definition() });
      ids.set(d.name, c.id);
    }
    // Let every first computation finish, so refreshes do not queue behind them.
    for (const id of ids.values()) {
      for (;;) {
        const c = await k.cohorts.get(id);
        if (c.computedAt && c.calculation.state !== 'running') break;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    ctx.log('50 cohorts created and computed once');
    // Forcing a full refresh is a DuckDB-file detail of this bench (the refresh state table).
    const state = await asDuckDBEventsEngine(k.engine).database.connect();
    type Mode = 'full' | 'incremental' | 'pass';
    const rounds: { mode: Mode; totalMs: number; perCohort: { name: string; ms: number; size: number }[] }[] = [];
    // Old and new side by side: the per-cohort rounds are what one refresh at a time gives, the pass rounds what the scheduler's pass gives.
    const order: Mode[] = ['full', 'incremental', 'pass', 'incremental', 'pass', 'full'];
    for (const [i, mode] of order.entries()) {
      await k.engine.events.write(increment(i));
      if (mode === 'full') await state.run("UPDATE cohort_refresh_state SET fingerprint = 'forced full'");
      const perCohort: { name: string; ms: number; size: number }[] = [];
      const started = performance.now();
      if (mode === 'pass') {
        const result = await k.cohorts.refreshMany([...ids.values()]);
        for (const [n, id] of ids) {
          const c = result.get(id);
          if (!c || c instanceof Error) throw new Error(`refresh failed for ${n}: ${String(c)}`);
          // Per cohort: its share of the pass, as recorded in its history.
          perCohort.push({ name: n, ms: c.calculation.lastDurationMs ?? 0, size: c.size });
        }
      } else {
        for (const [n, id] of ids) {
          const t = performance.now();
          const c = await k.cohorts.refresh(id);
          if (c.calculation.state !== 'idle') throw new Error(`refresh failed for ${n}: ${c.calculation.lastError}`);
          perCohort.push({ name: n, ms: performance.now() - t, size: c.size });
        }
      }
      rounds.push({ mode, totalMs: performance.now() - started, perCohort });
      ctx.log(`${mode} round: ${((performance.now() - started) / 1000).toFixed(2)} s (load ${loadavg()[0].toFixed(2)})`);
    }
    const of = (mode: Mode) => rounds.filter((r) => r.mode === mode);
    const total = (mode: Mode) => median(of(mode).map((r) => r.totalMs));
    const perCohortMedian = (mode: Mode) => median(of(mode).flatMap((r) => r.perCohort.map((p) => p.ms)));
    const slowest = (mode: Mode) => Math.max(...of(mode).flatMap((r) => r.perCohort.map((p) => p.ms)));
    const pass = of('pass').at(-1)!.perCohort;
    const inc = of('incremental').at(-1)!.perCohort;
    const full = of('full').at(-1)!.perCohort;
    const r1 = (x: number) => Math.round(x * 10) / 10;
    return {
      figures: [
        { label: 'refresh 50 cohorts after an increment, one scheduler pass (total, median of 2)', value: Math.round(total('pass')) / 1000, unit: 's', target: 5 },
        { label: 'refresh 50 cohorts after an increment, incremental one by one (total, median of 2)', value: Math.round(total('incremental')) / 1000, unit: 's', target: 5 },
        { label: 'refresh 50 cohorts after an increment, full recompute one by one (total, median of 2)', value: Math.round(total('full')) / 1000, unit: 's', target: 5 },
        { label: 'per-cohort share of a pass, median', value: r1(perCohortMedian('pass')), unit: 'ms', target: PREVIEW_TARGET_MS },
        { label: 'per-cohort refresh, incremental one by one, median', value: r1(perCohortMedian('incremental')), unit: 'ms', target: PREVIEW_TARGET_MS },
        { label: 'per-cohort refresh, full, median', value: r1(perCohortMedian('full')), unit: 'ms', target: PREVIEW_TARGET_MS },
        { label: 'per-cohort refresh, incremental one by one, slowest', value: r1(slowest('incremental')), unit: 'ms', target: PREVIEW_TARGET_MS },
      ],
      notes: [
        `Round totals in order: ${rounds.map((r) => `${r.mode} ${(r.totalMs / 1000).toFixed(2)} s`).join(', ')}.`,
        `Pass vs one by one, side by side: pass / incremental ${(total('pass') / total('incremental')).toFixed(3)}, pass / full ${(total('pass') / total('full')).toFixed(3)}.`,
        'Per cohort, last rounds (share of the pass ms / incremental ms / full ms, members), in creation order:',
        ...pass.map((p, i) => `${p.name}: ${p.ms.toFixed(0)} / ${inc[i].ms.toFixed(0)} / ${full[i].ms.toFixed(0)} ms, ${p.size.toLocaleString('en-US')} members`),
      ],
    };
  } finally {
    await k?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A realistic increment: events of random seeded people within the last hour, and a few plan changes. */
export function increment(round: number): WriteItem[] {
  let x = 0x9e3779b9 ^ (round + 1);
  const rnd = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
  const now = Date.now();
  const person = () => userIdOf(Math.floor(rnd() * SEED_USERS));
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)];
  const brands = ['something', 'stark', 'hooli', 'initech', 'wayne'];
  const categories = ['laptops', 'phones', 'cameras', 'headphones', 'tablets'];
  const out: WriteItem[] = [];
  for (let i = 0; i < INCREMENT; i++) {
    const ts = new Date(now - Math.floor(rnd() * 3_600_000));
    const r = rnd();
    const product = { brand: pick(brands), category: pick(categories), price: Math.round(rnd() * 2000), product_id: `sku_${String(Math.floor(rnd() * 1000)).padStart(4, '0')}` };
    const [event, props]: [string, Record<string, unknown>] =
      r < 0.55 ? ['view', product]
      : r < 0.75 ? ['cart', { ...product, quantity: 1 }]
      : r < 0.85 ? ['purchase', { ...product, quantity: 1, revenue: product.price, currency: 'USD', order_id: `o${round}-${i}` }]
      : r < 0.97 ? ['click', { target: pick(['banner', 'recommendation', 'search']), page: pick(['Home', 'Category', 'Product']) }]
      : ['signup_activity', { method: pick(['google', 'apple', 'email']) }];
    out.push({ kind: 'track', externalId: person(), event, ts, props });
  }
  for (let i = 0; i < TRAITS; i++) out.push({ kind: 'identify', externalId: person(), traits: { plan: pick(['free', 'plus', 'pro']) }, ts: new Date(now) });
  return out;
}
