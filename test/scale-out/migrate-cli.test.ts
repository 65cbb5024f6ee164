/**
 * `kohort migrate --from <dir>` as a user runs it: both URLs required with a
 * clear error, counts per table printed, the secret key named but never
 * printed, and a second run reports that nothing is left to copy.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CH_URL, noClickHouse } from '../../src/storage/clickhouse/test-support/ch-test-db.js';
import { connectClickHouseHttp } from '../../src/storage/clickhouse/http-client.js';
import { freshPgDatabaseUrl, noPostgres } from '../../src/storage/postgres/test-support/pg-test-db.js';
import { seedEmbeddedStore } from './migrate-source.js';

const dirs: string[] = [];
const chDatabases: string[] = [];
afterAll(async () => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  if (CH_URL && chDatabases.length) {
    const admin = await connectClickHouseHttp(CH_URL);
    for (const db of chDatabases) await admin.command(`DROP DATABASE IF EXISTS ${db}`);
  }
});

function kohort(args: string[], env: Record<string, string | undefined>): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const clean = { ...process.env, KOHORT_DATABASE_URL: undefined, KOHORT_EVENTS_URL: undefined, KOHORT_SECRET_KEY: undefined, ...env };
    const proc = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { env: clean as NodeJS.ProcessEnv });
    let out = '';
    let err = '';
    proc.stdout.on('data', (b: Buffer) => (out += b.toString()));
    proc.stderr.on('data', (b: Buffer) => (err += b.toString()));
    proc.on('close', (code) => resolve({ code, out, err }));
  });
}

let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kohort-migrate-cli-'));
  dirs.push(dir);
}, 120_000);

describe('kohort migrate (command line)', () => {
  it('needs --from and both target URLs, and says which are missing', async () => {
    const noFrom = await kohort(['migrate'], {});
    expect([noFrom.code, noFrom.err]).toEqual([2, expect.stringContaining('kohort migrate --from <data dir>')]);
    const none = await kohort(['migrate', '--from', dir], {});
    expect(none.code).toBe(2);
    expect(none.err).toMatch(/set KOHORT_DATABASE_URL .* and KOHORT_EVENTS_URL/);
    const half = await kohort(['migrate', '--from', dir], { KOHORT_DATABASE_URL: 'postgres://u@127.0.0.1:1/db' });
    expect(half.err).toContain('KOHORT_EVENTS_URL');
    expect(half.err).not.toContain('KOHORT_DATABASE_URL (');
    expect((await kohort(['help'], {})).out).toContain('migrate --from <data dir>');
  }, 60_000);

  it.skipIf(noPostgres() || noClickHouse())('copies a store, prints counts per table, names the secret key without printing it', async () => {
    await seedEmbeddedStore(dir, { users: 200, events: 2_000 });
    const key = (JSON.parse(readFileSync(join(dir, 'secret-key.json'), 'utf8')) as { keys: string[] }).keys[0];
    const db = `kohort_t_${randomBytes(6).toString('hex')}`;
    chDatabases.push(db);
    const events = new URL(CH_URL!);
    events.pathname = `/${db}`;
    const env = { KOHORT_DATABASE_URL: await freshPgDatabaseUrl(), KOHORT_EVENTS_URL: events.toString() };
    const run = await kohort(['migrate', '--from', dir], env);
    expect(run.code, run.err).toBe(0);
    const line = (table: string) => run.out.split('\n').find((l) => l.startsWith(`${table} `))?.trim().split(/\s+/);
    expect(line('events')?.[1]).toBe('clickhouse');
    expect(Number(line('events')?.[2])).toBeGreaterThanOrEqual(2_000);
    expect(line('events')?.[3]).toBe(line('events')?.[2]);
    expect(line('cohorts')?.slice(1)).toEqual(['postgres', '2', '2']);
    expect(run.out).not.toContain('MISMATCH');
    expect(run.out).toContain('KOHORT_SECRET_KEY');
    expect(run.out + run.err).not.toContain(key);
    const again = await kohort(['migrate', '--from', dir], env);
    expect(again.code, again.err).toBe(0);
    expect(again.out).toContain('migrated here already');
  }, 180_000);
});
