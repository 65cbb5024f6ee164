import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileDefinition } from './cohort-compiler';
import { clickhouseDialect } from './dialects/clickhouse';
import { duckdbJsonPath, duckdbTimestampText } from './dialects/duckdb';
import { evaluateDefinition } from './reference-evaluator';
import { data, DuckDbCohortFixture, ev, one, resolver, trait } from './test-support/duckdb-fixture';

/** `?` outside string literals (the dialect's constant regexes contain `?`). */
const placeholders = (text: string) => text.replace(/'(?:[^']|'')*'/g, '').split('?').length - 1;

const ctx = { asOf: new Date('2024-01-01T00:00:00Z'), resolveCohort: resolver({ vip: 'static' }) };
/** The numeric rule on one extraction: JSON numbers by cast, only strings through the regex. */
const FIN = (t: string) => `(CASE WHEN isfinite(TRY_CAST(${t} AS DOUBLE)) THEN TRY_CAST(${t} AS DOUBLE) END)`;
const NUM =
  `list_apply([e.props->?], lambda kohort_v: CASE WHEN NOT starts_with(CAST(kohort_v AS VARCHAR), '"') THEN ${FIN('CAST(kohort_v AS VARCHAR)')}` +
  ` WHEN regexp_full_match((kohort_v->>'$'), '[-+]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][-+]?[0-9]+)?') THEN ${FIN("(kohort_v->>'$')")} END)[1]`;

describe('exact SQL', () => {
  it('the brief example keeps hot filters on typed columns and counts with HAVING (filters need no coalesce under WHERE)', () => {
    const q = compileDefinition(
      one({
        type: 'event', event: 'purchase',
        where: [{ property: 'brand', op: 'eq', value: 'something' }, { property: 'price', op: 'gt', value: 1000 }],
        count: { op: 'gt', value: 1 }, window: { type: 'since', from: '2023-03-22' },
      }),
      ctx,
    );
    expect(q.sql).toBe(
      'SELECT uid FROM (SELECT e.uid FROM events_all e WHERE e.event = ? AND e.ts <= CAST(? AS TIMESTAMP)' +
        ` AND ((e.props->>?) IN (?) AND (${NUM} > ?))` +
        ' AND e.ts >= CAST(? AS TIMESTAMP) GROUP BY e.uid HAVING (count(*) > ?)) AS cohort',
    );
    expect(q.params).toEqual(['purchase', '2024-01-01 00:00:00.000', '/brand', 'something', '/price', 1000, '2023-03-22 00:00:00.000', 1]);
  });

  it('on ClickHouse the brief example filters the events table itself and maps keys to people after the WHERE', () => {
    // No resolving subquery as the FROM: 18.16 then uses the (event, ts) sort key and PREWHERE.
    const q = compileDefinition(
      one({
        type: 'event', event: 'purchase',
        where: [{ property: 'brand', op: 'eq', value: 'something' }, { property: 'price', op: 'gt', value: 1000 }],
        count: { op: 'gt', value: 1 }, window: { type: 'since', from: '2023-03-22' },
      }),
      { ...ctx, materialized: [{ path: ['brand'], text: 'hot1_text', number: 'hot1_num' }] },
      clickhouseDialect,
    );
    const merges =
      'WITH (SELECT (arrayConcat([toUInt64(0)], groupArray(from_uid)), arrayConcat([toUInt64(0)], groupArray(into_uid)))' +
      ' FROM (SELECT from_uid, argMax(into_uid, version) AS into_uid FROM person_merges GROUP BY from_uid)) AS kohort_merges';
    expect(q.sql).toBe(
      `${merges} SELECT transform(e.uid, tupleElement(kohort_merges, 1), tupleElement(kohort_merges, 2), e.uid) AS uid` +
        ' FROM events e WHERE e.event = ? AND e.ts <= toInt64(1704067200000000)' +
        " AND (e.hot1_text IN (?) AND (arrayElement(arrayPushFront(e.props_num, NULL), indexOf(e.props_keys, ?) + 1) > ?)) AND e.ts >= toInt64(1679443200000000)" +
        ' GROUP BY uid HAVING (count(*) > ?)',
    );
    expect(q.params).toEqual(['purchase', 'something', '["price"]', 1000, 1]);
  });

  it('on ClickHouse a property rule keeps the matching trait rows that are their person\'s latest (no sort of every row)', () => {
    const q = compileDefinition(one({ type: 'property', property: 'plan', op: 'eq', value: 'pro' }), ctx, clickhouseDialect);
    const merges =
      'WITH (SELECT (arrayConcat([toUInt64(0)], groupArray(from_uid)), arrayConcat([toUInt64(0)], groupArray(into_uid)))' +
      ' FROM (SELECT from_uid, argMax(into_uid, version) AS into_uid FROM person_merges GROUP BY from_uid)) AS kohort_merges';
    const person = 'transform(t.uid, tupleElement(kohort_merges, 1), tupleElement(kohort_merges, 2), t.uid) AS person';
    const rows = `${merges} SELECT ${person}, ts, seq, value_keys, value_kind, value_text, value_num, value_dkey, text, num FROM user_traits AS t WHERE t.key = ? AND t.ts <= toInt64(1704067200000000)`;
    const matching = `SELECT person, ts, seq FROM (${rows}) AS tr WHERE coalesce(tr.text IN (?), 0)`;
    const latest = `${merges} SELECT ${person}, max((ts, seq)) AS kohort_latest FROM user_traits AS t WHERE t.key = ? AND t.ts <= toInt64(1704067200000000) AND person IN (SELECT person FROM (${matching})) GROUP BY person`;
    expect(q.sql).toBe(
      `SELECT DISTINCT person AS uid FROM (${matching}) WHERE (person, ts, seq) IN (SELECT person, tupleElement(kohort_latest, 1), tupleElement(kohort_latest, 2) FROM (${latest}))`,
    );
    expect(q.params).toEqual(['plan', 'pro', 'plan', 'plan', 'pro']);
  });

  it('reads hot property columns where the store keeps them, typed tests before JSON type tests', () => {
    const brief = one({
      type: 'event', event: 'purchase',
      where: [{ property: 'brand', op: 'eq', value: 'something' }, { property: 'price', op: 'gt', value: 1000 }],
      count: { op: 'gt', value: 1 }, window: { type: 'since', from: '2023-03-22' },
    });
    const materialized = [{ path: ['brand'], text: 'hot1_text', number: 'hot1_num' }, { path: ['price'], text: 'hot2_text', number: 'hot2_num' }];
    const q = compileDefinition(brief, { ...ctx, materialized });
    expect(q.sql).toBe(
      'SELECT uid FROM (SELECT e.uid FROM events_all e WHERE e.event = ? AND e.ts <= CAST(? AS TIMESTAMP)' +
        ' AND (e.hot1_text IN (?) AND (e.hot2_num > ?))' +
        ' AND e.ts >= CAST(? AS TIMESTAMP) GROUP BY e.uid HAVING (count(*) > ?)) AS cohort',
    );
    expect(q.params).toEqual(['purchase', '2024-01-01 00:00:00.000', 'something', 1000, '2023-03-22 00:00:00.000', 1]);
    const contains = compileDefinition(one({ type: 'event', event: 'x', where: [{ property: 'brand', op: 'contains', value: 'So' }] }), { ...ctx, materialized });
    expect(contains.sql).toContain("(contains(lower(e.hot1_text), lower(?)) AND (json_type(e.props, ?) = 'VARCHAR'))");
    // Under NOT a NULL still counts as false.
    const neq = compileDefinition(one({ type: 'event', event: 'x', where: [{ property: 'brand', op: 'neq', value: 'So' }] }), { ...ctx, materialized });
    expect(neq.sql).toContain('((e.hot1_text IS NOT NULL) AND NOT coalesce(e.hot1_text IN (?), false))');
    // Trait values and paths without columns still read JSON.
    const other = compileDefinition(one({ type: 'event', event: 'x', where: [{ property: 'brand.x', op: 'eq', value: 'a' }] }), { ...ctx, materialized });
    expect(other.sql).toContain('(e.props->>?) IN (?)');
    expect(() => compileDefinition(brief, { ...ctx, materialized: [{ path: ['brand'], text: 'x; DROP', number: 'n' }] })).toThrow(/column name/);
  });

  it('"did not perform" and "lt" counts are complements against users (anti joins); "at least once" needs no GROUP BY inside', () => {
    const q = compileDefinition(one({ type: 'event', event: 'signup', negate: true }), ctx);
    expect(q.sql).toBe(
      'SELECT u.uid FROM users AS u ANTI JOIN (SELECT e.uid FROM events_all e WHERE e.event = ? AND e.ts <= CAST(? AS TIMESTAMP)) AS n ON n.uid = u.uid',
    );
    expect(q.params).toEqual(['signup', '2024-01-01 00:00:00.000']);
    const lt = compileDefinition(one({ type: 'event', event: 'login', count: { op: 'lt', value: 3 } }), ctx);
    expect(lt.sql).toBe(
      'SELECT u.uid FROM users AS u ANTI JOIN (SELECT e.uid FROM events_all e WHERE e.event = ? AND e.ts <= CAST(? AS TIMESTAMP) GROUP BY e.uid HAVING NOT ((count(*) < ?))) AS n ON n.uid = u.uid',
    );
    expect(lt.params).toEqual(['login', '2024-01-01 00:00:00.000', 3]);
  });

  it('groups combine with semi / anti joins; static cohorts read cohort_members', () => {
    const q = compileDefinition(
      { match: 'all', rules: [{ type: 'cohort', cohortId: 'vip' }, { type: 'event', event: 'x', negate: true }] },
      ctx,
    );
    expect(q.sql).toBe(
      'SELECT uid FROM (SELECT b.uid FROM (SELECT DISTINCT uid FROM cohort_members WHERE cohort_id = ? AND uid IN (SELECT uid FROM users)) AS b' +
        ' ANTI JOIN (SELECT e.uid FROM events_all e WHERE e.event = ? AND e.ts <= CAST(? AS TIMESTAMP)) AS a0 ON a0.uid = b.uid) AS cohort',
    );
    expect(q.params).toEqual(['vip', 'x', '2024-01-01 00:00:00.000']);
    // A count other than "at least once" keeps its GROUP BY inside the anti join.
    const twice = compileDefinition({ match: 'all', rules: [{ type: 'cohort', cohortId: 'vip' }, { type: 'event', event: 'x', count: { op: 'gte', value: 2 }, negate: true }] }, ctx);
    expect(twice.sql).toContain('ANTI JOIN (SELECT e.uid FROM events_all e WHERE e.event = ? AND e.ts <= CAST(? AS TIMESTAMP) GROUP BY e.uid HAVING (count(*) >= ?)) AS a0 ON a0.uid = b.uid');
  });

  it('relative windows and within use dialect date arithmetic with bound amounts', () => {
    const q = compileDefinition(one({ type: 'event', event: 'x', window: { type: 'last', amount: 3, unit: 'month' } }), ctx);
    expect(q.sql).toContain('e.ts >= (CAST(? AS TIMESTAMP) + to_months(CAST(? AS INTEGER)))');
    expect(q.params).toContain(-3);
    const s = compileDefinition(one({ type: 'sequence', steps: [{ event: 'a' }, { event: 'b' }], within: { amount: 2, unit: 'week' } }), ctx);
    expect(s.sql).toContain('e.ts <= (p.t1 + to_weeks(CAST(? AS INTEGER)))');
  });

  it('dynamic cohort references compile inline', () => {
    const c = { asOf: ctx.asOf, resolveCohort: resolver({ d: one({ type: 'event', event: 'inner' }) }) };
    const q = compileDefinition(one({ type: 'cohort', cohortId: 'd' }), c);
    expect(q.sql).not.toContain('cohort_members');
    expect(q.params).toContain('inner');
  });
});

  it('aggregates: one avg state, no count condition unless asked; distinct >= L first keeps people with L keyed events', () => {
    const materialized = [{ path: ['price'], text: 'hot1_text', number: 'hot1_num' }, { path: ['cat'], text: 'hot2_text', number: 'hot2_num' }];
    const avg = compileDefinition(one({ type: 'event', event: 'cart', aggregate: { fn: 'avg', property: 'price', op: 'between', value: [5, 15] } }), { ...ctx, materialized });
    expect(avg.sql).toBe(
      'SELECT uid FROM (SELECT e.uid FROM events_all e WHERE e.event = ? AND e.ts <= CAST(? AS TIMESTAMP) GROUP BY e.uid HAVING (avg(e.hot1_num) BETWEEN ? AND ?)) AS cohort',
    );
    expect(avg.params).toEqual(['cart', '2024-01-01 00:00:00.000', 5, 15]);
    const counted = compileDefinition(one({ type: 'event', event: 'cart', count: { op: 'gte', value: 2 }, aggregate: { fn: 'sum', property: 'price', op: 'gt', value: 5 } }), { ...ctx, materialized });
    expect(counted.sql).toContain('HAVING (count(*) >= ?) AND (sum(e.hot1_num) > ?)');
    const distinct = compileDefinition(one({ type: 'event', event: 'view', aggregate: { fn: 'distinct', property: 'cat', op: 'gt', value: 2.5 } }), { ...ctx, materialized });
    expect(distinct.sql).toContain(
      ' AS kohort_k, count(*) AS kohort_n FROM events_all e SEMI JOIN (SELECT e.uid FROM events_all e WHERE e.event = ? AND e.ts <= CAST(? AS TIMESTAMP)' +
        ' AND e.hot2_text IS NOT NULL GROUP BY e.uid HAVING count(*) >= ?) AS kohort_c ON kohort_c.uid = e.uid WHERE e.event = ? AND e.ts <= CAST(? AS TIMESTAMP) GROUP BY e.uid, kohort_k',
    );
    expect(distinct.params).toEqual(['/cat', 'view', '2024-01-01 00:00:00.000', 3, 'view', '2024-01-01 00:00:00.000', 1, 2.5]);
    // Untyped paths count every matching event; a bound below 2 filters nothing and is left out.
    expect(compileDefinition(one({ type: 'event', event: 'view', aggregate: { fn: 'distinct', property: 'x', op: 'eq', value: 4 } }), ctx).sql).toContain(
      'WHERE e.event = ? AND e.ts <= CAST(? AS TIMESTAMP) GROUP BY e.uid HAVING count(*) >= ?) AS kohort_c',
    );
    for (const [op, value] of [['gte', 1], ['lt', 3], ['neq', 0]] as const) {
      expect(compileDefinition(one({ type: 'event', event: 'view', aggregate: { fn: 'distinct', property: 'cat', op, value } }), { ...ctx, materialized }).sql).not.toContain('kohort_c');
    }
  });

describe('dialect helpers', () => {
  it('builds JSON pointers, escaping ~ and / only', () => {
    expect(duckdbJsonPath(['a', 'b'])).toBe('/a/b');
    expect(duckdbJsonPath(['x"y', '*', '$.[0]'])).toBe('/x"y/*/$.[0]');
    expect(duckdbJsonPath(['t~i/l'])).toBe('/t~0i~1l');
    expect(duckdbJsonPath([])).toBe('$');
  });
  it('formats timestamps as UTC text', () => {
    expect(duckdbTimestampText(new Date('2023-03-22T10:00:00.5+02:00'))).toBe('2023-03-22 08:00:00.500');
  });
});

describe('injection: names and values are matched literally and never change the query', () => {
  const nasty = [
    "it's", 'x"y', 'back\\slash', "'; DROP TABLE events; --", '-- comment', 'a;b', 'ünïcödé ✓ 日本', '$.price', 'a.b', '[0]', '"quoted"',
    "\\' OR 1=1 --", '$', '*', '%_', "?", "$1", '\u2028', '\\"',
    'a/b', '~0', '~1/', '*.*',
  ];
  let fx: DuckDbCohortFixture;
  /** The same with hot property columns for every nasty name (their paths reach the store's DDL as literals). */
  let fxHot: DuckDbCohortFixture;
  beforeAll(async () => {
    fx = await DuckDbCohortFixture.create();
    fxHot = await DuckDbCohortFixture.create({ hot: nasty.map((s) => [s.replace(/\./g, '_')]) });
  });
  afterAll(() => {
    fx.close();
    fxHot.close();
  });

  it.each(nasty)('property name and value %j', async (s) => {
    const key = s.replace(/\./g, '_'); // a dot in a property name means nesting; covered separately below
    const d = data(['match', 'other', 'traitful'], [
      ev('match', 'ev' + s, '2023-01-01', { [key]: s }),
      ev('other', 'ev' + s, '2023-01-01', { [key]: s + 'x' }),
      ev('other', 'ev' + s, '2023-01-01', { price: s }),
    ], [trait('traitful', key, s, '2023-01-01')]);
    await fx.load(d);
    await fxHot.load(d);
    const defs = [
      one({ type: 'event', event: 'ev' + s, where: [{ property: key, op: 'eq', value: s }] }),
      one({ type: 'event', event: 'ev' + s, where: [{ property: key, op: 'in', value: [s, 1] }] }),
      one({ type: 'event', event: 'ev' + s, where: [{ property: key, op: 'ends_with', value: s }] }),
      one({ type: 'property', property: key, op: 'eq', value: s }),
      one({ type: 'cohort', cohortId: s }),
    ];
    const expected = [['match'], ['match'], ['match'], ['traitful'], []];
    const c = { asOf: ctx.asOf, resolveCohort: resolver({ [s]: 'static' }) };
    for (const [i, def] of defs.entries()) {
      const q = compileDefinition(def, c);
      // The value is nowhere in the SQL text: it travels as a parameter.
      if (s.length > 1) expect(q.sql).not.toContain(s);
      expect(placeholders(q.sql)).toBe(q.params.length);
      expect([...(await fx.members(q))]).toEqual(expected[i]);
      expect([...evaluateDefinition(d, def, c)]).toEqual(expected[i]);
      const hot = compileDefinition(def, { ...c, materialized: fxHot.materialized() });
      if (s.length > 1) expect(hot.sql).not.toContain(s);
      expect([...(await fxHot.members(hot))]).toEqual(expected[i]);
    }
    expect(fxHot.materialized()).toHaveLength(nasty.length);
    // The tables are intact.
    const count = await fx.connection.runAndReadAll('SELECT count(*) AS n FROM events_all');
    expect(Number(count.getRowObjectsJS()[0].n)).toBe(3);
  });

  it('a dot means nesting: "a.b" reads {a: {b}} and never a key named "a.b"', async () => {
    const d = data(['nested', 'flat'], [ev('nested', 'e', '2023-01-01', { a: { b: 1 } }), ev('flat', 'e', '2023-01-01', { 'a.b': 1 })]);
    await fx.load(d);
    const def = one({ type: 'event', event: 'e', where: [{ property: 'a.b', op: 'eq', value: 1 }] });
    expect([...(await fx.members(compileDefinition(def, ctx)))]).toEqual(['nested']);
    expect([...evaluateDefinition(d, def, ctx)]).toEqual(['nested']);
  });

  it('"[0]" and "$" in a name are keys, not JSONPath syntax', async () => {
    const d = data(['key', 'array'], [ev('key', 'e', '2023-01-01', { '[0]': 'v', $: 'w' }), ev('array', 'e', '2023-01-01', { list: ['v'] })]);
    await fx.load(d);
    for (const [property, value] of [['[0]', 'v'], ['$', 'w'], ['list.0', 'v']]) {
      const def = one({ type: 'event', event: 'e', where: [{ property, op: 'is_set' }, { property, op: 'eq', value }] });
      const expected = property === 'list.0' ? [] : ['key'];
      expect([...(await fx.members(compileDefinition(def, ctx)))]).toEqual(expected);
      expect([...evaluateDefinition(d, def, ctx)]).toEqual(expected);
    }
  });

  it('regex patterns are bound too', async () => {
    const d = data(['a', 'b'], [ev('a', 'e', '2023-01-01', { s: "x'); --" }), ev('b', 'e', '2023-01-01', { s: 'y' })]);
    await fx.load(d);
    const def = one({ type: 'event', event: 'e', where: [{ property: 's', op: 'regex', value: "'\\); --$" }] });
    const q = compileDefinition(def, ctx);
    expect(q.sql).not.toContain("'); --");
    expect([...(await fx.members(q))]).toEqual(['a']);
  });
});
