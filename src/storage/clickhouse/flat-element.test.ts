/**
 * Reading flattened properties (`<json>_text` etc., arrays of Nullable) on the test server,
 * in a part that holds an event without properties (empty arrays): 18.16 crashed (a NULL read)
 * indexing such an array there, which the analytics differential hit with random data and
 * which took the server down on every retry. `flatElement` reads them from a copy that is
 * never empty; these statements are the ones that crashed it, in that form.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flatElement } from '../../cohort/dialects/clickhouse';
import type { ClickHouseClient } from './client';
import { migrateClickHouse } from './migrations';
import { freshClickHouseDatabase, noClickHouse } from './test-support/ch-test-db';

describe('flatElement', () => {
  it('reads Nullable arrays from a copy with NULL first, plain ones directly', () => {
    expect(flatElement('e.props_text', 'e.props_keys', "'[\"q\"]'", true)).toBe(`arrayElement(arrayPushFront(e.props_text, NULL), indexOf(e.props_keys, '["q"]') + 1)`);
    expect(flatElement('e.props_kind', 'e.props_keys', "'[\"q\"]'", false)).toBe(`e.props_kind[indexOf(e.props_keys, '["q"]')]`);
  });
});

describe.skipIf(noClickHouse())('flattened properties beside events without properties', () => {
  let client: ClickHouseClient;
  beforeAll(async () => {
    client = await freshClickHouseDatabase();
    await migrateClickHouse(client);
    const row = (event: string, ts: number, uid: number, keys: string[], text: string[]) => ({
      event, ts, uid, seq: uid, message_id: `m${uid}`, received_at: ts, props: '{}',
      props_keys: keys, props_kind: keys.map(() => 1), props_text: text, props_num: text.map(() => null), props_dkey: text.map((t) => `s:${t}`),
    });
    // One insert: 'c' and the property-less 'a' share a part (February), 'b' is in January's.
    await client.insert('events', [row('b', 1674658800000000, 1, ['["p"]', '["q"]'], ['1', 'true']), row('c', 1675162800000000, 2, ['["p"]'], [' 1']), row('a', 1675216800000000, 3, [], [])]);
  });
  afterAll(() => client?.close());

  const q = (part: 'text' | 'num' | 'dkey' | 'kind') => flatElement(`e.props_${part}`, 'e.props_keys', `'["q"]'`, part !== 'kind');
  const count = async (where: string) => Number((await client.query<{ n: string }>(`SELECT count() AS n FROM events AS e WHERE ${where}`))[0].n);

  it('null tests and coalesced comparisons give their counts, with and without a condition on the event', async () => {
    expect(await count(`e.event = 'c' AND (${q('text')} IS NULL)`)).toBe(1);
    expect(await count(`e.event = 'b' AND (${q('text')} IS NULL)`)).toBe(0);
    expect(await count(`e.event = 'b' AND coalesce(${q('text')} IN ('true'), 0)`)).toBe(1);
    expect(await count(`e.event = 'c' AND NOT coalesce(${q('text')} IN ('true'), 0)`)).toBe(1);
    expect(await count(`NOT coalesce(${q('text')} IN ('true'), 0)`)).toBe(2);
  });

  it('every part reads per row: the value, or NULL / 0 where the path is missing', async () => {
    const rows = await client.query<{ event: string; t: string | null; n: number | null; d: string | null; k: number }>(
      `SELECT e.event AS event, ${q('text')} AS t, ${q('num')} AS n, ${q('dkey')} AS d, ${q('kind')} AS k FROM events AS e ORDER BY event`,
    );
    expect(rows).toEqual([
      { event: 'a', t: null, n: null, d: null, k: 0 },
      { event: 'b', t: 'true', n: null, d: 's:true', k: 1 },
      { event: 'c', t: null, n: null, d: null, k: 0 },
    ]);
  });
});
