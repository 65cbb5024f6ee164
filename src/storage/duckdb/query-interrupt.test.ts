import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKohort, type Kohort } from '../../main.js';
import { rawDuckDBFile } from './test-support/raw-duckdb.js';

/**
 * The reads behind explain, diff and analytics stop the engine's statement when
 * their signal aborts (the query limiter's time limit), and the connection
 * answers the next query. The statements here would run for hours otherwise:
 * a test that does not interrupt them never finishes.
 */
const ENDLESS_UIDS = 'SELECT range AS uid FROM range(10000000000000) WHERE range % 7 = 12';
const ENDLESS_EXPLAIN = `SELECT 1 AS k, NULL AS r, NULL AS c, NULL AS a, NULL AS v, NULL AS event, NULL::TIMESTAMP AS ts, NULL::JSON AS props
  FROM range(10000000000000) WHERE range % 7 = 12`;

let k: Kohort;
beforeAll(async () => {
  k = await createKohort({ dbPath: ':memory:', adminToken: 'kha_interrupt', writeKey: 'khw_interrupt', background: false, schedulers: false });
  await k.engine.events.write([{ kind: 'track', externalId: 'u1', event: 'a', ts: new Date('2026-01-01T00:00:00Z'), props: {} }]);
});
afterAll(() => k?.close());

/** Aborts once the statement is surely under way (an abort before it starts would prove nothing). */
function abortSoon(): AbortSignal {
  const c = new AbortController();
  setTimeout(() => c.abort(), 300);
  return c.signal;
}

/** Every connection of the read pool answers at once. */
async function poolAnswers(): Promise<void> {
  for (let i = 0; i < 8; i++) expect(await rawDuckDBFile(k).reads.rows<{ n: number }>('SELECT 42 AS n')).toEqual([{ n: 42 }]);
}

describe('interrupting reads on abort', () => {
  it('analytics rows', async () => {
    const reads = k.engine.analytics;
    await expect(reads.rows({ sql: `SELECT count(*) AS n FROM (${ENDLESS_UIDS})`, params: [] }, abortSoon())).rejects.toThrow(/interrupt/i);
    await poolAnswers();
  });

  it('explain, diff and the member list of a diff', { timeout: 60_000 }, async () => {
    const reads = k.engine.insight;
    const uid = (await reads.uidOf('u1'))!;
    await expect(reads.explainRows(uid, { sql: ENDLESS_EXPLAIN, params: [] }, ['a'], abortSoon())).rejects.toThrow(/interrupt/i);
    await poolAnswers();
    await expect(reads.membershipDiff('no-such-cohort', { sql: ENDLESS_UIDS, params: [] }, 5, { signal: abortSoon() })).rejects.toThrow(/interrupt/i);
    await poolAnswers();
    await expect(reads.membershipDiff('no-such-cohort', { sql: ENDLESS_UIDS, params: [] }, 5, { memberIds: true, signal: abortSoon() })).rejects.toThrow(/interrupt/i);
    await poolAnswers();
    await expect(reads.membershipDiff('no-such-cohort', { sql: ENDLESS_UIDS, params: [] }, 5, { against: [['u1']], signal: abortSoon() })).rejects.toThrow(/interrupt/i);
    await poolAnswers();
  });

  it('the contacts search', async () => {
    const reads = k.engine.contacts;
    const q = { inSet: { sql: ENDLESS_UIDS, params: [] }, limit: 10, withTotal: true };
    await expect(reads.page(q, abortSoon())).rejects.toThrow(/interrupt/i);
    await poolAnswers();
  });
});
