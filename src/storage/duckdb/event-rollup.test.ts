/**
 * The per-(event, person) summaries (event-rollup.ts) and the rules compiled over them
 * (cohort/rollup-rules.ts) at their staleness edges: events after the summarized seq, person
 * merges after it, rows later than asOf. Every answer is checked against the same definition
 * compiled without summaries (the events alone), and the summaries must actually be read.
 */
import { describe, expect, it } from 'vitest';
import { compileDefinition, type CompileContext } from '../../cohort/cohort-compiler.js';
import { resolver } from '../../cohort/test-support/duckdb-fixture.js';
import { parseDefinition, type Definition } from '../../schemas/definition.js';
import type { Database } from './database.js';
import type { DuckDBEventStore } from './duckdb-event-store.js';
import { rollupStores } from './test-support/rollup-store.js';

const at = (s: string) => new Date(s);
const track = (externalId: string, event: string, ts: string, props: Record<string, unknown> = {}) =>
  ({ kind: 'track', externalId, event, ts: at(ts), props }) as const;
const one = (rule: unknown): Definition => {
  const r = parseDefinition({ match: 'all', rules: [rule] });
  if (!r.ok) throw new Error(r.issues[0].message);
  return r.value;
};

const AVG = one({ type: 'event', event: 'cart', aggregate: { fn: 'avg', property: 'price', op: 'between', value: [10, 20] } });
const SUM = one({ type: 'event', event: 'cart', count: { op: 'gte', value: 2 }, aggregate: { fn: 'sum', property: 'price', op: 'gte', value: 30 } });
const DISTINCT = one({ type: 'event', event: 'view', aggregate: { fn: 'distinct', property: 'category', op: 'gte', value: 2 }, window: { type: 'last', amount: 30, unit: 'day' } });
const ALL = [AVG, SUM, DISTINCT];

/** A store that keeps hot columns and summaries from the first event on. */
const open = rollupStores();

async function members(db: Database, store: DuckDBEventStore, d: Definition, ctx: CompileContext): Promise<string[]> {
  const q = compileDefinition(d, ctx);
  // A uid that is no person any more (merged away) shows as such: the preview counts every uid.
  const rows = await db.reads.rows<{ user_id: string }>(`SELECT coalesce(u.user_id, 'uid ' || m.uid) AS user_id FROM (${q.sql}) m LEFT JOIN users u USING (uid) ORDER BY 1`, q.params);
  return rows.map((r) => r.user_id);
}

/** Members with the store's summaries and with the events alone: equal, and the first `expected`. */
async function expectMembers(db: Database, store: DuckDBEventStore, d: Definition, asOf: Date, expected: string[]): Promise<void> {
  const base = { asOf, resolveCohort: resolver({}), materialized: store.materializedProperties() };
  const rollup = store.eventRollup();
  expect(rollup).toBeDefined();
  expect(compileDefinition(d, { ...base, rollup }).sql).toContain(d === DISTINCT ? `FROM ${rollup!.keysTable} r` : `FROM ${rollup!.table} r`);
  expect(await members(db, store, d, { ...base, rollup })).toEqual(expected);
  expect(await members(db, store, d, base)).toEqual(expected);
}

const NOW = at('2024-02-01T00:00:00Z');

async function seeded() {
  const { db, store } = await open();
  await store.write([
    track('a', 'cart', '2024-01-10T00:00:00Z', { price: 10 }),
    track('a', 'cart', '2024-01-11T00:00:00Z', { price: 30 }),
    track('b', 'cart', '2024-01-10T00:00:00Z', { price: 15 }),
    track('c', 'cart', '2024-01-10T00:00:00Z', { price: 50 }),
    track('a', 'view', '2024-01-20T00:00:00Z', { category: 'x' }),
    track('a', 'view', '2024-01-21T00:00:00Z', { category: 'y' }),
    track('b', 'view', '2024-01-20T00:00:00Z', { category: 'x' }),
    track('b', 'view', '2023-11-01T00:00:00Z', { category: 'z' }),
  ]);
  await store.reorganize();
  return { db, store };
}

describe('per-(event, person) summaries', () => {
  it('are built by the reorganizer and answer aggregates as the events do', async () => {
    const { db, store } = await seeded();
    const r = store.eventRollup()!;
    expect(r.numbers.map((n) => n.path)).toContainEqual(['price']);
    expect(r.keys.map((k) => k.path)).toContainEqual(['category']);
    await expectMembers(db, store, AVG, NOW, ['a', 'b']);
    await expectMembers(db, store, SUM, NOW, ['a']);
    await expectMembers(db, store, DISTINCT, NOW, ['a']);
  });

  it('stay exact for events written after them (read from the events for those people)', async () => {
    const { db, store } = await seeded();
    const before = store.eventRollup()!.seq;
    await store.write([
      track('b', 'cart', '2024-01-12T00:00:00Z', { price: 100 }), // b's avg leaves the range
      track('c', 'cart', '2024-01-12T00:00:00Z', { price: 0 }), // c: two carts, sum 50
      track('c', 'view', '2024-01-25T00:00:00Z', { category: 'x' }),
      track('c', 'view', '2024-01-26T00:00:00Z', { category: 'w' }),
    ]);
    expect(store.eventRollup()!.seq).toBe(before); // not rebuilt: stale
    await expectMembers(db, store, AVG, NOW, ['a']);
    await expectMembers(db, store, SUM, NOW, ['a', 'b', 'c']);
    await expectMembers(db, store, DISTINCT, NOW, ['a', 'c']);
  });

  it('stay exact for people merged after them', async () => {
    const { db, store } = await seeded();
    // b's rows were summarized under b; the alias moves them to c (whose avg was 50).
    await store.write([{ kind: 'alias', previousId: 'b', userId: 'c', ts: at('2024-01-30T00:00:00Z') }]);
    await expectMembers(db, store, AVG, NOW, ['a']); // c: avg of 50 and 15
    await expectMembers(db, store, SUM, NOW, ['a', 'c']);
    await expectMembers(db, store, DISTINCT, NOW, ['a']); // c has only x (z is outside the window)
  });

  it('stay exact for an asOf before some summarized rows', async () => {
    const { db, store } = await seeded();
    // As of Jan 10 noon, a has one cart (10) and b one (15); a's avg is 10, in range.
    await expectMembers(db, store, AVG, at('2024-01-10T12:00:00Z'), ['a', 'b']);
    await expectMembers(db, store, SUM, at('2024-01-10T12:00:00Z'), []);
    // As of Jan 20 noon, a has viewed only x in the window, b x and z (z is 80 days earlier: outside).
    await expectMembers(db, store, DISTINCT, at('2024-01-20T12:00:00Z'), []);
    await expectMembers(db, store, DISTINCT, at('2024-01-21T12:00:00Z'), ['a']);
  });

  it('are rebuilt once the events outgrow them, covering the new rows', async () => {
    const { db, store } = await seeded();
    const before = store.eventRollup()!.seq;
    await store.write([track('d', 'cart', '2024-01-15T00:00:00Z', { price: 12 }), track('b', 'cart', '2024-01-15T00:00:00Z', { price: 20 })]);
    await store.reorganize();
    expect(store.eventRollup()!.seq).toBeGreaterThan(before);
    const [n] = await db.reads.rows<{ n: bigint }>("SELECT count(*) AS n FROM event_rollup WHERE event = 'cart'");
    expect(Number(n.n)).toBe(4);
    await expectMembers(db, store, AVG, NOW, ['a', 'b', 'd']);
  });
});
