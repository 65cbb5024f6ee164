import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkScaleOutUrls, ConfigError, loadConfig } from './config.js';
import { createKohort } from './main.js';

let dir: string;
const env = (extra: Record<string, string> = {}) => {
  dir = mkdtempSync(join(tmpdir(), 'kohort-config-'));
  return { KOHORT_DATA_DIR: dir, KOHORT_ADMIN_TOKEN: 'admin-token-1', KOHORT_WRITE_KEY: 'write-key-1', ...extra };
};
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('config: workers and scale-out URLs', () => {
  it('runs background work unless KOHORT_WORKER=off', () => {
    expect(loadConfig(env()).worker).toBe(true);
    expect(loadConfig(env({ KOHORT_WORKER: 'off' })).worker).toBe(false);
    expect(() => loadConfig(env({ KOHORT_WORKER: 'maybe' }))).toThrow(/KOHORT_WORKER/);
  });

  it('takes KOHORT_DATABASE_URL alone (events stay in the DuckDB file) and checks it is a PostgreSQL URL', () => {
    expect(loadConfig(env({ KOHORT_DATABASE_URL: 'postgres://k@localhost/k' })).databaseUrl).toBe('postgres://k@localhost/k');
    expect(loadConfig(env()).databaseUrl).toBeUndefined();
    expect(() => loadConfig(env({ KOHORT_DATABASE_URL: 'mysql://k@localhost/k' }))).toThrow(/postgres:\/\//);
  });

  it('refuses KOHORT_EVENTS_URL without KOHORT_DATABASE_URL, naming it', () => {
    expect(() => loadConfig(env({ KOHORT_EVENTS_URL: 'http://localhost:8123/k' }))).toThrow(/KOHORT_DATABASE_URL is not/);
  });

  it('checks the KOHORT_EVENTS_URL is an http(s) URL of the ClickHouse HTTP interface', () => {
    const both = env({ KOHORT_DATABASE_URL: 'postgres://k@localhost/k', KOHORT_EVENTS_URL: 'http://k:pw@localhost:8123/k' });
    expect(loadConfig(both).eventsUrl).toBe('http://k:pw@localhost:8123/k');
    expect(loadConfig(both).databaseUrl).toBe('postgres://k@localhost/k');
    expect(() => loadConfig(env({ KOHORT_DATABASE_URL: 'postgres://k@localhost/k', KOHORT_EVENTS_URL: 'tcp://localhost:9000/k' }))).toThrow(/KOHORT_EVENTS_URL must be an http/);
  });

  it('refuses the ClickHouse URL this version cannot serve at start instead of ignoring it', async () => {
    const both = loadConfig(env({ KOHORT_DATABASE_URL: 'postgres://k@127.0.0.1:1/k', KOHORT_EVENTS_URL: 'http://localhost:8123/k' }));
    const start = createKohort({ dbPath: ':memory:', adminToken: 'admin-token-1', writeKey: 'write-key-1', databaseUrl: both.databaseUrl, eventsUrl: both.eventsUrl });
    // Refused before any connection: the PostgreSQL URL above has nothing listening, and its error would say so.
    await expect(start).rejects.toThrow(ConfigError);
    await expect(start).rejects.toThrow(/KOHORT_EVENTS_URL \(ClickHouse\) is not supported by this build yet/);
  });

  it('once ClickHouse is wired, each URL alone is an error naming the other (scale-out.md)', () => {
    const wired = { clickhouse: true };
    expect(() => checkScaleOutUrls('postgres://k@localhost/k', undefined, wired)).toThrow(/KOHORT_DATABASE_URL is set but KOHORT_EVENTS_URL is not: set both or neither/);
    expect(() => checkScaleOutUrls(undefined, 'http://localhost:8123/k', wired)).toThrow(/KOHORT_EVENTS_URL is set but KOHORT_DATABASE_URL is not: set both or neither/);
    expect(() => checkScaleOutUrls('postgres://k@localhost/k', 'http://localhost:8123/k', wired)).not.toThrow();
    expect(() => checkScaleOutUrls(undefined, undefined, wired)).not.toThrow();
    // This build: PostgreSQL alone is still the metadata-only mode (events in the DuckDB file).
    expect(() => checkScaleOutUrls('postgres://k@localhost/k', undefined, { clickhouse: false })).not.toThrow();
  });

  it('refuses KOHORT_EVENTS_URL given to createKohort without a PostgreSQL URL, naming it', async () => {
    await expect(createKohort({ dbPath: ':memory:', adminToken: 'admin-token-1', writeKey: 'write-key-1', eventsUrl: 'http://localhost:8123/k' })).rejects.toThrow(
      /KOHORT_DATABASE_URL is not/,
    );
  });
});
