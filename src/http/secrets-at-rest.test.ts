import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config.js';
import { MockReceiver } from '../destinations/test-support/mock-receiver.js';
import { signStandardWebhook } from '../destinations/webhook.js';
import { createKohort, type Kohort } from '../main.js';
import { rawDuckDBFile } from '../storage/duckdb/test-support/raw-duckdb.js';

/**
 * Files Kohort writes are its own user's only; destination secrets are
 * encrypted at rest (also those an older version stored in plain text); the
 * file destination writes only under the export dir (api.md, Security rules).
 */
const ADMIN = 'kha_secrets_at_rest';
const SECRET = `whsec_${Buffer.from('a-webhook-signing-secret').toString('base64')}`;
let dir: string;
let receiver: MockReceiver;
const auth = { authorization: `Bearer ${ADMIN}` };
const open = (opts: Partial<Parameters<typeof createKohort>[0]> = {}) =>
  createKohort({ dbPath: join(dir, 'kohort.duckdb'), adminToken: ADMIN, writeKey: `${ADMIN}_w`, background: false, schedulers: false, ...opts });
const storedConfigs = async (k: Kohort) =>
  (await rawDuckDBFile(k).reads.rows<{ id: string; config: string }>('SELECT id, CAST(config AS VARCHAR) AS config FROM sync_destinations')).map((r) => r.config).join('\n');
const mode = (p: string) => statSync(p).mode & 0o777;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kohort-rest-'));
  receiver = await new MockReceiver().start();
});
afterAll(async () => {
  await receiver.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('files and secrets at rest', () => {
  it('makes the data dir 0700 and tightens files an older version left readable', () => {
    writeFileSync(join(dir, 'old.wal'), 'x', { mode: 0o644 });
    const config = loadConfig({ KOHORT_DATA_DIR: dir });
    expect(mode(dir)).toBe(0o700);
    expect(mode(join(dir, 'old.wal'))).toBe(0o600);
    expect(mode(config.secretsFile)).toBe(0o600);
    expect(config.exportDir).toBe(join(dir, 'exports'));
  });

  it('stores destination secrets sealed, and the engine still signs with the real one', async () => {
    const k = await open();
    try {
      const d = (await k.app.inject({ method: 'POST', url: '/v1/destinations', headers: auth, payload: { name: 'Hook', type: 'webhook', config: { url: `${receiver.url}/hook`, secret: SECRET } } })).json();
      const amp = await k.app.inject({ method: 'POST', url: '/v1/destinations', headers: auth, payload: { name: 'Amp', type: 'amplitude_list', config: { baseUrl: 'https://amplitude.example', apiKey: 'amp-api-key-plain' } } });
      expect(amp.statusCode, amp.body).toBe(201);
      const raw = await storedConfigs(k);
      expect(raw).toContain('enc:v1:');
      expect(raw).not.toContain(SECRET);
      expect(raw).not.toContain('amp-api-key-plain');
      expect((await k.app.inject({ method: 'GET', url: `/v1/destinations/${d.id}`, headers: auth })).json().config.secret).toBe('••••');

      const t = await k.app.inject({ method: 'POST', url: `/v1/destinations/${d.id}/test`, headers: auth });
      expect(t.json().ok, t.body).toBe(true);
      const req = receiver.requests.at(-1)!;
      const expected = signStandardWebhook(SECRET, String(req.headers['webhook-id']), Number(req.headers['webhook-timestamp']), req.body);
      expect(req.headers['webhook-signature']).toBe(expected);
    } finally {
      await k.close();
    }
    expect(mode(join(dir, 'secret-key.json'))).toBe(0o600);
    expect(mode(join(dir, 'kohort.duckdb'))).toBe(0o600);
  });

  it('seals secrets stored in plain text by an older version at the next start', async () => {
    const k = await open();
    try {
      await rawDuckDBFile(k).writer.run(`INSERT INTO sync_destinations SELECT 'legacy', 'Legacy', 'webhook', CAST(? AS JSON), created_at, updated_at FROM sync_destinations LIMIT 1`, [
        JSON.stringify({ url: `${receiver.url}/legacy`, secret: SECRET }),
      ]);
      expect(await storedConfigs(k)).toContain(SECRET);
    } finally {
      await k.close();
    }
    const again = await open();
    try {
      expect(await storedConfigs(again)).not.toContain(SECRET);
      const t = await again.app.inject({ method: 'POST', url: '/v1/destinations/legacy/test', headers: auth });
      expect(t.json().ok, t.body).toBe(true);
      expect(receiver.requests.at(-1)!.path).toBe('/legacy');
    } finally {
      await again.close();
    }
  });
});

describe('the file destination', () => {
  let k: Kohort;
  beforeAll(async () => {
    k = await open();
  });
  afterAll(() => k.close());

  it.each(['/etc', '../../tmp', '/tmp/elsewhere', 'reports/../../x'])('refuses %s (400 naming the field)', async (directory) => {
    const r = await k.app.inject({ method: 'POST', url: '/v1/destinations', headers: auth, payload: { name: 'F', type: 'file', config: { directory, format: 'csv' } } });
    expect(r.statusCode).toBe(400);
    expect(r.json().error.details).toEqual([{ field: 'config.directory', message: expect.stringContaining('KOHORT_EXPORT_DIR') }]);
  });

  it('writes under the export dir, owner-only', async () => {
    const r = await k.app.inject({ method: 'POST', url: '/v1/destinations', headers: auth, payload: { name: 'F', type: 'file', config: { directory: 'reports', format: 'csv' } } });
    expect(r.statusCode, r.body).toBe(201);
    const t = await k.app.inject({ method: 'POST', url: `/v1/destinations/${r.json().id}/test`, headers: auth });
    expect(t.json().ok, t.body).toBe(true);
    expect(readdirSync(join(dir, 'exports'))).toContain('reports');
    expect(mode(join(dir, 'exports', 'reports'))).toBe(0o700);
    const patched = await k.app.inject({ method: 'PATCH', url: `/v1/destinations/${r.json().id}`, headers: auth, payload: { config: { directory: '/etc' } } });
    expect(patched.statusCode).toBe(400);
  });
});
