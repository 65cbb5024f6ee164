import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../storage/duckdb/database.js';
import { ConfigError, type Config } from '../config.js';
import { runSeedCommand, seed, SeedError } from './seed-command.js';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'kohort-seed-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('kohort seed', () => {
  it('refuses with ClickHouse events configured, writing nothing', async () => {
    const dir = tempDir();
    const config = { dataDir: dir, databaseUrl: 'postgres://k@localhost/k', eventsUrl: 'http://localhost:8123/k' } as Config;
    const run = runSeedCommand(config, { users: '10', events: '100' });
    await expect(run).rejects.toThrow(ConfigError);
    await expect(run).rejects.toThrow(/KOHORT_EVENTS_URL the events live in ClickHouse/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('writes the requested users and events, reorganized, and appends on a second run', async () => {
    const dir = tempDir();
    const s = await seed(dir, { users: 300, events: 6_000, days: 90, seed: 5 });
    expect(s).toMatchObject({ users: 300, events: 6_000 });
    expect(s.traits).toBeGreaterThan(300);
    const again = await seed(dir, { users: 300, events: 1_000, days: 90, seed: 6 });
    expect(again.users).toBe(0); // same user ids: their people already exist

    const db = await openDatabase(join(dir, 'kohort.duckdb'));
    try {
      const [n] = await db.reads.rows<{ main_rows: bigint; tail_rows: bigint; users: bigint; seqs: bigint; all_rows: bigint }>(
        `SELECT (SELECT count(*) FROM events) AS main_rows, (SELECT count(*) FROM events_tail) AS tail_rows, (SELECT count(*) FROM users) AS users,
                (SELECT count(DISTINCT seq) FROM (SELECT seq FROM events_all UNION ALL SELECT seq FROM user_traits)) AS seqs,
                (SELECT count(*) FROM events_all) + (SELECT count(*) FROM user_traits) AS all_rows`,
      );
      expect(n).toMatchObject({ main_rows: 7_000n, tail_rows: 0n, users: 300n });
      expect(n.seqs).toBe(n.all_rows);
    } finally {
      await db.close();
    }
  });

  it('sorting one slice while loading the next stores the same events as loading everything at once', async () => {
    const end = new Date('2026-01-01T00:00:00Z');
    const o = { users: 200, events: 8_000, days: 60, seed: 9 };
    const contents = async (dir: string) => {
      const db = await openDatabase(join(dir, 'kohort.duckdb'));
      try {
        const [n] = await db.reads.rows<{ tail_rows: bigint; seqs: bigint; all_rows: bigint }>(
          `SELECT (SELECT count(*) FROM events_tail) AS tail_rows,
                  (SELECT count(DISTINCT seq) FROM (SELECT seq FROM events_all UNION ALL SELECT seq FROM user_traits)) AS seqs,
                  (SELECT count(*) FROM events_all) + (SELECT count(*) FROM user_traits) AS all_rows`,
        );
        expect(n.tail_rows).toBe(0n);
        expect(n.seqs).toBe(n.all_rows);
        return await db.reads.rows(
          `SELECT u.user_id, e.event, e.ts, e.props FROM events e JOIN users u USING (uid) ORDER BY ALL`,
        );
      } finally {
        await db.close();
      }
    };
    const whole = tempDir();
    const sliced = tempDir();
    await seed(whole, o, undefined, { end });
    // Many small slices: most sorts overlap a load, and a reorganization's hand-over waits for it.
    const s = await seed(sliced, o, undefined, { end, sliceEvents: 700 });
    expect(s.events).toBe(8_000);
    const a = await contents(whole);
    expect(a).toHaveLength(8_000);
    expect(await contents(sliced)).toEqual(a);
  });

  it('refuses with advice while another process holds the store', async () => {
    const dir = tempDir();
    const file = join(dir, 'kohort.duckdb');
    const holder = spawn(
      process.execPath,
      ['-e', `import('@duckdb/node-api').then(async ({ DuckDBInstance }) => { await DuckDBInstance.create(${JSON.stringify(file)}); console.log('held'); setInterval(() => {}, 1000); })`],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      await new Promise<void>((resolve) => holder.stdout.on('data', () => resolve()));
      const err = await seed(dir, { users: 10, events: 10, days: 1, seed: 1 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SeedError);
      expect((err as Error).message).toMatch(/locked by another process.*Stop it/);
    } finally {
      holder.kill('SIGKILL');
    }
  });
});
