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

  it('refuses KOHORT_DATABASE_URL alone, naming KOHORT_EVENTS_URL, and checks it is a PostgreSQL URL', () => {
    expect(() => loadConfig(env({ KOHORT_DATABASE_URL: 'postgres://k@localhost/k' }))).toThrow(/KOHORT_DATABASE_URL is set but KOHORT_EVENTS_URL is not: set both or neither/);
    expect(loadConfig(env()).databaseUrl).toBeUndefined();
    expect(() => loadConfig(env({ KOHORT_DATABASE_URL: 'mysql://k@localhost/k', KOHORT_EVENTS_URL: 'http://localhost:8123/k' }))).toThrow(/postgres:\/\//);
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

  it('each URL alone is an error naming the other (scale-out.md)', () => {
    expect(() => checkScaleOutUrls('postgres://k@localhost/k', undefined)).toThrow(/KOHORT_DATABASE_URL is set but KOHORT_EVENTS_URL is not: set both or neither/);
    expect(() => checkScaleOutUrls(undefined, 'http://localhost:8123/k')).toThrow(/KOHORT_EVENTS_URL is set but KOHORT_DATABASE_URL is not: set both or neither/);
    expect(() => checkScaleOutUrls('postgres://k@localhost/k', 'http://localhost:8123/k')).not.toThrow();
    expect(() => checkScaleOutUrls(undefined, undefined)).not.toThrow();
  });

  it('refuses KOHORT_EVENTS_URL given to createKohort without a PostgreSQL URL, naming it', async () => {
    await expect(createKohort({ dbPath: ':memory:', adminToken: 'admin-token-1', writeKey: 'write-key-1', eventsUrl: 'http://localhost:8123/k' })).rejects.toThrow(
      /KOHORT_DATABASE_URL is not/,
    );
  });
});
