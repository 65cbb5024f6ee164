import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const DIST = path.join(ROOT, 'dist/web');

/**
 * Builds the web app once per test process (the repo script skips the build
 * when it is fresh). Test files run in parallel processes, and a build empties
 * dist/web first, so a lock directory lets one build while the others wait.
 */
let built = false;
export function ensureWebBuild(): void {
  if (built) return;
  const lock = path.join(ROOT, 'dist/.web-build.lock');
  mkdirSync(path.dirname(lock), { recursive: true });
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`web build lock ${lock} held for 3 minutes; remove it if no build runs`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
    }
  }
  try {
    const script = path.join(ROOT, 'scripts/build-web.mjs');
    const args = existsSync(script) ? [script] : [path.join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'];
    const r = spawnSync(process.execPath, args, { cwd: ROOT, stdio: 'inherit' });
    if (r.status !== 0) throw new Error(`web build failed (exit ${r.status})`);
    built = true;
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

export interface KohortServer {
  /** Where the browser goes (the server serves API and app on one port). */
  url: string;
  /** The same origin, for API calls made by the test itself. */
  apiUrl: string;
  adminToken: string;
  writeKey: string;
  dataDir: string;
  logs(): string;
  track(body: Record<string, unknown>): Promise<Response>;
  api<T = unknown>(method: string, route: string, body?: unknown): Promise<{ status: number; body: T }>;
  stop(): Promise<void>;
}

/** Starts `tsx src/cli.ts serve` on a free port with a fresh data directory and known keys. */
/** `env`: extra settings (e.g. KOHORT_ALLOW_PRIVATE_URLS for tests whose receivers listen on 127.0.0.1). */
export async function startKohort(env: Record<string, string> = {}): Promise<KohortServer> {
  ensureWebBuild();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'kohort-e2e-'));
  const adminToken = `adm_${randomBytes(12).toString('hex')}`;
  const writeKey = `wk_${randomBytes(12).toString('hex')}`;
  const child = spawn(process.execPath, [path.join(ROOT, 'node_modules/tsx/dist/cli.mjs'), 'src/cli.ts', 'serve'], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', KOHORT_DATA_DIR: dataDir, KOHORT_ADMIN_TOKEN: adminToken, KOHORT_WRITE_KEY: writeKey, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));

  const apiUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in 120 s:\n${output}`)), 120_000);
    const check = () => {
      const m = /listening on (http:\/\/[^\s"]+)/i.exec(output);
      if (m && /\bready\b/.test(output)) {
        clearTimeout(timer);
        resolve(m[1]!.replace(/\/$/, ''));
      }
    };
    child.stdout!.on('data', check);
    child.stderr!.on('data', check);
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`server exited (${code}):\n${output}`)); });
  });

  const page = await fetch(`${apiUrl}/cohorts`);
  if (!(page.headers.get('content-type') ?? '').includes('text/html')) {
    await stopChild(child);
    throw new Error(`the server does not serve the web app at / (GET /cohorts answered ${page.status})`);
  }
  const server: KohortServer = {
    url: apiUrl,
    apiUrl,
    adminToken,
    writeKey,
    dataDir,
    logs: () => output,
    track: (body) =>
      fetch(`${apiUrl}/v1/track`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${writeKey}` },
        body: JSON.stringify(body),
      }),
    async api(method, route, body) {
      const res = await fetch(apiUrl + route, {
        method,
        headers: { authorization: `Bearer ${adminToken}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: (text ? JSON.parse(text) : undefined) as never };
    },
    async stop() {
      await stopChild(child);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return server;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}
