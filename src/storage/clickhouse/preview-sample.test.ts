/**
 * The preview's tiered sample (preview-sample.ts) against the full sort it stands for, on the
 * test server (18.16) and chdb: the same size and the same sample, in order, for answers
 * around the tiers' limits, and tier 0 (the caller's fallback) when no tier qualifies.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sql } from '../../cohort/dialect';
import { toClickHouseSql } from '../../cohort/dialects/clickhouse';
import type { ClickHouseClient } from './client';
import { fullSortSampleSql, TIER_CAP, tieredSampleSql } from './preview-sample';
import { freshClickHouseDatabase, noClickHouse } from './test-support/ch-test-db';
import { openChdbClient } from './test-support/chdb-client';

const text = (s: Sql) => toClickHouseSql({ sql: s.text, params: [...s.params] });
/** n distinct uids, spaced (18.16 hangs on numbers(0), so the empty answer is a filtered one). */
const uids = (n: number) => new Sql(`SELECT number * 7 + 3 AS uid FROM numbers(${n + 1}) WHERE number < ${n}`);

/** `cache`: the server has an uncompressed cache (the test server: 256 MB; chdb's is 0, off). */
function suite(open: () => Promise<ClickHouseClient>, cache: boolean) {
  let client: ClickHouseClient;
  beforeAll(async () => {
    client = await open();
  });
  afterAll(() => client?.close());

  const tiered = async (n: number, size: number, seed: number, cap?: number) =>
    (await client.query<{ size: string; tier: string; sample: string[] }>(text(tieredSampleSql(uids(n), size, seed, cap))))[0];
  const full = async (n: number, size: number, seed: number) =>
    (await client.query<{ size: string; sample: string[] }>(text(fullSortSampleSql(uids(n), size, seed))))[0];

  it('gives the full sort\'s size and sample for answers around the tiers\' limits', async () => {
    for (const n of [0, 1, 19, 20, 21, TIER_CAP, TIER_CAP + 1, 70_000, 300_000]) {
      for (const [size, seed] of [[20, 0], [5, 1_733_000_000_000]]) {
        const [t, f] = [await tiered(n, size, seed), await full(n, size, seed)];
        expect(t.tier, `n=${n}`).not.toBe('0');
        expect({ size: t.size, sample: t.sample }, `n=${n} size=${size}`).toEqual(f);
        expect(t.sample).toHaveLength(Math.min(n, size));
      }
    }
    // Large answers use a tier below the whole one (a few rows sorted, not every row), also for
    // the largest sample the API allows.
    expect(Number((await tiered(300_000, 20, 0)).tier)).toBeLessThan(4);
    const [t, f] = [await tiered(300_000, 1000, 5), await full(300_000, 1000, 5)];
    expect(Number(t.tier)).toBeGreaterThan(0);
    expect(Number(t.tier)).toBeLessThan(5);
    expect({ size: t.size, sample: t.sample }).toEqual(f);
  }, 120_000);

  it('says tier 0 when no tier qualifies (every tier too full for its cap)', async () => {
    const t = await tiered(1000, 5, 0, 3);
    expect(t.tier).toBe('0');
    expect(t.size).toBe('1000');
    // The whole answer within the cap still qualifies.
    expect((await tiered(3, 5, 0, 3)).tier).not.toBe('0');
  });

  // The preview's statements read through the server's uncompressed cache, also above the
  // default 1M-row limit of its use (PREVIEW_SETTINGS): a second preview of the same 1.2M rows
  // finds their blocks there.
  it('reads 1.2M rows through the uncompressed cache, found there the second time', async () => {
    await client.command('CREATE TABLE preview_cache (uid UInt64) ENGINE = MergeTree ORDER BY uid');
    await client.command('INSERT INTO preview_cache SELECT number FROM numbers(1200000)');
    const hits = async () =>
      Number((await client.query<{ n: string }>("SELECT toString(sum(value)) AS n FROM system.events WHERE event = 'UncompressedCacheHits'"))[0].n);
    const preview = async () => (await client.query<{ size: string }>(text(tieredSampleSql(new Sql('SELECT uid FROM preview_cache'), 20, 0))))[0];
    expect((await preview()).size).toBe('1200000');
    const before = await hits();
    expect((await preview()).size).toBe('1200000');
    // 1.2M rows are ~147 granules: the second read finds (nearly) all of their blocks.
    if (cache) expect((await hits()) - before).toBeGreaterThanOrEqual(100);
  });
}

describe.skipIf(noClickHouse())('preview sample on the ClickHouse server', () => suite(freshClickHouseDatabase, true));
describe('preview sample on chdb', () => suite(openChdbClient, false));
