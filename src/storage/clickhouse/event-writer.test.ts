/**
 * The ClickHouse layout and writer, on the test server (KOHORT_TEST_CLICKHOUSE_URL)
 * and on chdb: migrations are recorded once and safe to re-run, rows keep what
 * the compiler reads (flattened properties, hot columns, microsecond times),
 * member sets are replaced by newer versions, and out-of-range times are refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouseClient } from './client';
import { ClickHouseEventWriter } from './event-writer';
import { flatColumns, flattenJson, numberOfValue, readPath, textOf } from './flatten';
import { CLICKHOUSE_MIGRATIONS, migrateClickHouse } from './migrations';
import { freshClickHouseDatabase, noClickHouse } from './test-support/ch-test-db';
import { openChdbClient } from './test-support/chdb-client';
import { compileDefinition } from '../../cohort/cohort-compiler';
import { clickhouseDialect, toClickHouseSql } from '../../cohort/dialects/clickhouse';
import type { Definition } from '../../schemas/definition';

function suite(open: () => Promise<ClickHouseClient>) {
  let client: ClickHouseClient;
  let writer: ClickHouseEventWriter;
  beforeAll(async () => {
    client = await open();
    await migrateClickHouse(client);
    writer = await ClickHouseEventWriter.open(client, [['plan'], ['price']]);
  });
  afterAll(() => client?.close());

  it('records each migration once; running them again changes nothing', async () => {
    await migrateClickHouse(client);
    const rows = await client.query<{ id: string; n: string }>('SELECT id, toString(count()) AS n FROM schema_migrations GROUP BY id ORDER BY id');
    expect(rows).toEqual(CLICKHOUSE_MIGRATIONS.map((m) => ({ id: m.id, n: '1' })));
    const tables = (await client.query<{ name: string }>('SELECT name FROM system.tables WHERE database = currentDatabase() ORDER BY name')).map((r) => r.name);
    expect(tables).toEqual(['cohort_members', 'event_property_catalog', 'event_property_catalog_mv', 'events', 'hot_properties', 'identities', 'member_set_heads', 'member_set_rows', 'person_merges', 'schema_migrations', 'user_trait_ops', 'user_traits', 'users']);
  });

  it('keeps microsecond times, flattened properties and the hot columns of an event', async () => {
    const props = { plan: 'pro', price: '12.5', nested: { k: [1, 2], z: null } };
    await writer.events([{ seq: 1, uid: 7, event: 'buy', ts: new Date('2024-02-29T12:00:00.123Z'), props, messageId: 'm1' }]);
    const [row] = await client.query<Record<string, unknown>>(
      "SELECT toString(ts) AS ts, props_keys, props_kind, props_text, props_num, hot1_text, hot1_num, hot2_text, hot2_num FROM events WHERE event = 'buy'",
    );
    const flat = flattenJson(props, false);
    expect(row).toEqual({
      ts: String(Date.parse('2024-02-29T12:00:00.123Z') * 1000),
      props_keys: flat.keys,
      props_kind: flat.kind,
      props_text: flat.text,
      props_num: flat.num,
      hot1_text: 'pro',
      hot1_num: null,
      hot2_text: '12.5',
      hot2_num: 12.5,
    });
    expect(flat.keys).toEqual(['["plan"]', '["price"]', '["nested"]', '["nested","k"]']);
    expect(writer.materialized()).toEqual([
      { path: ['plan'], text: 'hot1_text', number: 'hot1_num' },
      { path: ['price'], text: 'hot2_text', number: 'hot2_num' },
    ]);
  });

  it('stores in TabSeparated exactly what the JSONEachRow rows stored (escapes, unicode, numbers, nesting)', async () => {
    const tricky = [
      { plan: 'tab\there', price: 'new\nline\r\nand \\ back\\slash', q: "it's \"quoted\"", n: '\\N' },
      { plan: '', price: -0, big: 1e21, tiny: 5e-324, max: 1.7976931348623157e308, neg: -12.5, tenth: 0.1, s: ' 7 ', e: '1e3' },
      { plan: { deep: { er: ['x', 1, null, { y: "'" }] } }, price: [1, 'two', true], t: true, f: false, z: null },
      { 'we\tird"key\'': 'é ü 𝄞 ☃', 'a.b': { '': 'empty key', '\\': '\\' }, plan: 'pro' },
      {},
    ];
    const at = new Date('2024-03-01T00:00:00.000Z');
    const events = tricky.map((props, i) => ({ seq: 500 + i, uid: 40 + i, event: `ev\t'${i}\\`, ts: at, props, messageId: `m\\${i}\n`, receivedAt: at }));
    await writer.events(events);
    const hot = writer.materialized();
    // The rows as the JSONEachRow path built them (flatten.ts), stored under other sequence numbers.
    await client.insert(
      'events',
      events.map((e) => {
        const row: Record<string, unknown> = {
          event: e.event, ts: e.ts.getTime() * 1000, uid: e.uid, seq: e.seq + 100, message_id: e.messageId, received_at: e.ts.getTime() * 1000,
          props: JSON.stringify(e.props), ...flatColumns('props', flattenJson(e.props, false)),
        };
        for (const h of hot) {
          const v = readPath(e.props, h.path);
          row[h.text] = textOf(v);
          row[h.number!] = numberOfValue(v);
        }
        return row;
      }),
    );
    const read = (from: number) =>
      client.query<Record<string, unknown>>(
        `SELECT event, toString(ts) AS ts, toString(uid) AS uid, message_id, toString(received_at) AS r, props, props_keys, props_kind, props_text,
                props_num, props_dkey, hot1_text, hot1_num, hot2_text, hot2_num, hot3_text FROM events WHERE seq >= ${from} AND seq < ${from + 100} ORDER BY seq`,
      );
    const tsv = await read(500);
    expect(tsv).toHaveLength(tricky.length);
    expect(tsv).toEqual(await read(600));
    expect(tsv[0].hot1_text).toBe('tab\there');
    expect(tsv[3].props_keys).toEqual(flattenJson(tricky[3], false).keys);
  });

  it('refuses times that 18.16 cannot partition (before 1970, after 2106)', async () => {
    await expect(writer.events([{ seq: 2, uid: 1, event: 'x', ts: new Date('1969-12-31T23:59:59Z'), props: {}, messageId: 'm2' }])).rejects.toThrow(/outside 1970-2106/);
  });

  it('a newer member set replaces the older one for static cohort rules', async () => {
    await writer.users([1, 2, 3].map((uid) => ({ uid, userId: `u${uid}` })));
    const def: Definition = { match: 'all', rules: [{ type: 'cohort', cohortId: 'S' }] };
    const members = async () => {
      const q = compileDefinition(def, { asOf: new Date(), resolveCohort: () => ({ kind: 'static' }) }, clickhouseDialect);
      return (await client.query<{ uid: string }>(toClickHouseSql(q))).map((r) => Number(r.uid)).sort();
    };
    await writer.replaceMembers('S', [1, 2]);
    expect(await members()).toEqual([1, 2]);
    await writer.replaceMembers('S', [2, 3]);
    expect(await members()).toEqual([2, 3]);
    await writer.replaceMembers('S', []);
    expect(await members()).toEqual([]);
  });
}

describe.skipIf(noClickHouse())('ClickHouse layout and writer on the server', () => suite(freshClickHouseDatabase));
describe('ClickHouse layout and writer on chdb', () => suite(openChdbClient));
