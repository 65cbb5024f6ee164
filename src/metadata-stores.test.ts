import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from './config.js';
import { createKohort, type KohortOptions } from './main.js';
import { rawDuckDBFile } from './storage/duckdb/test-support/raw-duckdb.js';
import { freshPgDatabaseUrl, noPostgres } from './storage/postgres/test-support/pg-test-db.js';

/**
 * With KOHORT_DATABASE_URL, cohorts live in PostgreSQL and their member sets
 * in the DuckDB file: a data dir keeps the metadata engine it started with,
 * since start-up clean-ups would otherwise drop the member sets (static lists)
 * and boards of cohorts the other engine does not know.
 */
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const freshDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'kohort-meta-'));
  dirs.push(d);
  return d;
};
const open = (dir: string, databaseUrl?: string) => {
  const o: KohortOptions = { dbPath: join(dir, 'k.duckdb'), adminToken: 'meta-admin-token', writeKey: 'meta-write-key', background: false, schedulers: false, databaseUrl };
  return createKohort(o);
};
const inject = (k: Awaited<ReturnType<typeof createKohort>>, method: 'GET' | 'POST', url: string, payload?: unknown) =>
  k.app.inject({ method, url, payload: payload as never, headers: { authorization: 'Bearer meta-admin-token' } });

describe.skipIf(noPostgres())('metadata engine of a data dir', () => {
  it('a static list made on PostgreSQL metadata keeps its members; the dir refuses to start without the URL', async () => {
    const dir = freshDir();
    const url = await freshPgDatabaseUrl();
    let k = await open(dir, url);
    await k.engine.events.write([{ kind: 'identify', externalId: 'ann', traits: {}, ts: new Date() }]);
    const list = (await inject(k, 'POST', '/v1/cohorts', { name: 'List', kind: 'static' })).json();
    expect((await inject(k, 'POST', `/v1/cohorts/${list.id}/members`, { userIds: ['ann'] })).json().added).toBe(1);
    // Workflows live in PostgreSQL too: the DuckDB file has no workflow tables.
    const [wf] = await rawDuckDBFile(k).reads.rows<{ n: bigint }>(`SELECT count(*) AS n FROM information_schema.tables WHERE table_name LIKE 'workflow%'`);
    expect(Number(wf.n)).toBe(0);
    await k.close();

    await expect(open(dir)).rejects.toThrow(ConfigError);
    await expect(open(dir)).rejects.toThrow(/started with KOHORT_DATABASE_URL alone, which this version no longer offers\): keep running it with the previous release/);

    k = await open(dir, url);
    try {
      expect((await inject(k, 'GET', `/v1/cohorts/${list.id}/members`)).json().items).toEqual(['ann']);
    } finally {
      await k.close();
    }
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      expect((await c.query('SELECT id FROM cohorts')).rows).toEqual([{ id: list.id }]);
    } finally {
      await c.end();
    }
  });

  it('an embedded store is not hidden by a PostgreSQL URL', async () => {
    const dir = freshDir();
    const k = await open(dir);
    await inject(k, 'POST', '/v1/cohorts', { name: 'Embedded', kind: 'static' });
    await k.close();
    await expect(open(dir, await freshPgDatabaseUrl())).rejects.toThrow(/already holds an embedded store/);
    // A data dir with nothing made in it yet may start on PostgreSQL.
    const empty = freshDir();
    await (await open(empty)).close();
    await (await open(empty, await freshPgDatabaseUrl())).close();
  });
});
