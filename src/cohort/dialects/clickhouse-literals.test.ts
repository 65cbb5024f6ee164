/**
 * The one escaping function of the ClickHouse dialect: every value inlined as a
 * literal reads back as itself on each engine, placeholders inside quoted text
 * are left alone, and a value cannot end its literal early.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clickhouseLiteral, clickhouseNumber, inlineParams, quoteClickHouseString } from './clickhouse-literals';
import type { ClickHouseClient } from '../../storage/clickhouse/client';
import { freshClickHouseDatabase, noClickHouse } from '../../storage/clickhouse/test-support/ch-test-db';
import { openChdbClient } from '../../storage/clickhouse/test-support/chdb-client';

const STRINGS = ["it's", 'back\\slash', "\\'", "'; DROP TABLE events; --", 'a?b', '?', 'x\ny\tz\r', 'nul\0byte', 'É İ ß 😀', '', '\\', "''", '{p1:String}'];
const NUMBERS = [0, -0, 1, -1, 0.5, 2 ** 31, 2 ** 53 - 1, 2 ** 53 + 2, 9223372036854775808, -9223372036854775808, 1e300, -1e308, 1.7976931348623157e308, Number.MIN_VALUE, -Number.MIN_VALUE, 2.2250738585072014e-308, 0.1, 123.456];

describe('inlineParams', () => {
  it('replaces placeholders outside quoted text only', () => {
    expect(inlineParams("SELECT ?, '?', 'it''s ?', 'a\\'?', ?", ['x', 2])).toBe("SELECT 'x', '?', 'it''s ?', 'a\\'?', 2");
  });

  it('refuses a count of parameters that does not match', () => {
    expect(() => inlineParams('SELECT ?', [])).toThrow(/more placeholders/);
    expect(() => inlineParams('SELECT 1', ['x'])).toThrow(/left without/);
    expect(() => inlineParams("SELECT 'open", [])).toThrow(/unterminated/);
  });

  it('writes numbers so that ClickHouse reads a Float64 beyond 2^53 and never a subnormal literal', () => {
    expect(clickhouseNumber(3)).toBe('3');
    expect(clickhouseNumber(-0)).toBe('0');
    expect(clickhouseNumber(9223372036854775808)).toBe('9.223372036854776e+18');
    expect(clickhouseNumber(Number.MIN_VALUE)).toMatch(/^\(.* \* 2\.2227587494850775e-162\)$/);
    expect(() => clickhouseNumber(Infinity)).toThrow();
    expect(quoteClickHouseString("a'b\\c")).toBe("'a\\'b\\\\c'");
  });
});

async function roundTrip(client: ClickHouseClient) {
  for (const s of STRINGS) {
    const [row] = await client.query<{ v: string; n: string }>(`SELECT ${clickhouseLiteral(s)} AS v, toString(length(${clickhouseLiteral(s)})) AS n`);
    expect(row.v).toBe(s);
    expect(Number(row.n)).toBe(Buffer.byteLength(s));
  }
  for (const n of NUMBERS) {
    // toString prints the shortest text that reads back as the same double, as JS does.
    const [row] = await client.query<{ v: string }>(`SELECT toString(toFloat64(${clickhouseLiteral(n)})) AS v`);
    expect(Number(row.v)).toBe(n === 0 ? 0 : n);
  }
}

describe.skipIf(noClickHouse())('literals on the ClickHouse server', () => {
  let client: ClickHouseClient;
  beforeAll(async () => {
    client = await freshClickHouseDatabase();
  });
  afterAll(() => client?.close());
  it('every string and number reads back as itself', () => roundTrip(client));
});

describe('literals on chdb', () => {
  let client: ClickHouseClient;
  beforeAll(async () => {
    client = await openChdbClient();
  });
  afterAll(() => client?.close());
  it('every string and number reads back as itself', () => roundTrip(client));
});
