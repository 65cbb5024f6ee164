import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

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

  it('refuses the ClickHouse URL this version cannot serve instead of ignoring it', () => {
    const both = env({ KOHORT_DATABASE_URL: 'postgres://k@localhost/k', KOHORT_EVENTS_URL: 'http://localhost:8123/k' });
    expect(() => loadConfig(both)).toThrow(ConfigError);
    expect(() => loadConfig(both)).toThrow(/not supported by this version/);
  });
});
