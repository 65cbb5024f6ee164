import { describe, expect, it } from 'vitest';
import { evaluateDefinition, type EvalData } from '../cohort/reference-evaluator.js';
import { definitionSchema } from '../schemas/definition.js';
import type { BulkBatch } from '../storage/duckdb/bulk-loader.js';
import { propertyPaths } from '../storage/duckdb/property-paths.js';
import { createRandom, generateShopData, SHOP_PROPERTIES, type SeedOptions } from './seed-data.js';
import { BRIEF_EXAMPLE } from '../schemas/examples.js';

const END = new Date('2026-06-01T00:00:00Z');
const DAY = 86_400_000;
const all = (o: Partial<SeedOptions>) => [...generateShopData({ users: 200, events: 5_000, days: 180, seed: 1, end: END, ...o })];

function toEvalData(batches: BulkBatch[]): EvalData {
  const data: EvalData = { users: [], events: [], traits: [], staticMembers: {} };
  const users = new Set<string>();
  let seq = 0;
  for (const b of batches) {
    b.traits.key.forEach((key, i) => {
      users.add(b.traits.externalId[i]);
      data.traits.push({ userId: b.traits.externalId[i], key, value: JSON.parse(b.traits.value[i]), ts: new Date(b.traits.ts[i]), seq: ++seq });
    });
    b.events.event.forEach((event, i) => {
      users.add(b.events.externalId[i]);
      data.events.push({ userId: b.events.externalId[i], event, ts: new Date(b.events.ts[i]), props: JSON.parse(b.events.props[i]), seq: ++seq });
    });
  }
  data.users = [...users];
  return data;
}

const members = (data: EvalData, definition: unknown) =>
  evaluateDefinition(data, definitionSchema.parse(definition), { asOf: END, resolveCohort: () => undefined });

describe('seeded PRNG', () => {
  it('repeats for a seed and differs between seeds', () => {
    const a = createRandom(7), b = createRandom(7), c = createRandom(8);
    const xs = Array.from({ length: 5 }, () => a());
    expect(Array.from({ length: 5 }, () => b())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c())).not.toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
  });
});

describe('shop demo data', () => {
  it('is the same for the same options and differs with the seed', () => {
    expect(all({ seed: 3 })).toEqual(all({ seed: 3 }));
    expect(all({ seed: 4 }).map((b) => b.events.props)).not.toEqual(all({ seed: 3 }).map((b) => b.events.props));
  });

  it('has exactly the requested events, for the requested users, inside the time span', () => {
    const batches = all({ users: 300, events: 7_777, days: 30, batchEvents: 1_000 });
    const ev = batches.flatMap((b) => b.events.ts);
    expect(ev).toHaveLength(7_777);
    const people = new Set(batches.flatMap((b) => [...b.events.externalId, ...b.traits.externalId]));
    expect(people.size).toBe(300);
    expect(Math.min(...ev)).toBeGreaterThanOrEqual(END.getTime() - 30 * DAY);
    expect(Math.max(...ev)).toBeLessThanOrEqual(END.getTime());
    // Batches hold whole users: nobody's events are split across two batches.
    const seen = new Map<string, number>();
    batches.forEach((b, i) =>
      b.events.externalId.forEach((u) => {
        expect(seen.get(u) ?? i).toBe(i);
        seen.set(u, i);
      }),
    );
    expect(batches.length).toBeGreaterThan(5);
  });

  it('declares exactly the property paths and types its events carry', () => {
    const observed = new Set<string>();
    for (const b of all({ users: 500, events: 20_000 })) {
      b.events.props.forEach((json, i) => {
        for (const [path, type] of propertyPaths(JSON.parse(json))) observed.add(`${b.events.event[i]}|${path}|${type}`);
      });
    }
    expect([...observed].sort()).toEqual(SHOP_PROPERTIES.map((p) => p.join('|')).sort());
  });

  it('gives people traits, sessions of the shop events and some app users who never signed up', () => {
    const data = toEvalData(all({ users: 1_000, events: 20_000 }));
    const traitKeys = new Set(data.traits.map((t) => t.key));
    expect([...traitKeys].sort()).toEqual(['country', 'email', 'plan', 'signup_date']);
    const byEvent = new Map<string, number>();
    for (const e of data.events) byEvent.set(e.event, (byEvent.get(e.event) ?? 0) + 1);
    for (const name of ['view', 'cart', 'purchase', 'click', 'signup_activity', 'app_download']) expect(byEvent.get(name)).toBeGreaterThan(0);
    expect(byEvent.get('view')!).toBeGreaterThan(byEvent.get('cart')!);
    expect(byEvent.get('cart')!).toBeGreaterThan(byEvent.get('purchase')!);
    const appOnly = members(data, {
      match: 'all',
      rules: [
        { type: 'event', event: 'app_download' },
        { type: 'event', event: 'signup_activity', negate: true },
      ],
    });
    expect(appOnly.size).toBeGreaterThan(20);
    expect(appOnly.size).toBeLessThan(200);
  });

  it('with the default density (20 events a user, 180 days), a meaningful share of users is in the brief example cohort', () => {
    // A fifth of the default sizes: the reference evaluator is built for obviousness, not speed.
    const data = toEvalData([...generateShopData({ users: 2_000, events: 40_000, days: 180, seed: 1, end: END })]);
    const cohort = members(data, BRIEF_EXAMPLE);
    expect(cohort.size / 2_000).toBeGreaterThan(0.05);
    expect(cohort.size / 2_000).toBeLessThan(0.5);
  });

  it('covers the example date when the span is long enough', () => {
    const ev = all({ days: 1_500 }).flatMap((b) => b.events.ts);
    const cut = Date.parse('2023-03-22T00:00:00Z');
    expect(ev.some((t) => t < cut)).toBe(true);
    expect(ev.some((t) => t >= cut)).toBe(true);
  });
});
