import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const DIST = path.join(ROOT, 'dist/web');

/** Builds the web app once per test process (the repo script skips the build when it is fresh). */
let built = false;
export function ensureWebBuild(): void {
  if (built) return;
  const script = path.join(ROOT, 'scripts/build-web.mjs');
  const args = existsSync(script) ? [script] : [path.join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'];
  const r = spawnSync(process.execPath, args, { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`web build failed (exit ${r.status})`);
  built = true;
}

export interface KohortServer {
  /** Where the browser goes: the server itself, or a front serving the build when the server does not yet. */
  url: string;
  /** The API server itself. */
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
export async function startKohort(): Promise<KohortServer> {
  ensureWebBuild();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'kohort-e2e-'));
  const adminToken = `adm_${randomBytes(12).toString('hex')}`;
  const writeKey = `wk_${randomBytes(12).toString('hex')}`;
  const child = spawn(process.execPath, [path.join(ROOT, 'node_modules/tsx/dist/cli.mjs'), 'src/cli.ts', 'serve'], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', KOHORT_DATA_DIR: dataDir, KOHORT_ADMIN_TOKEN: adminToken, KOHORT_WRITE_KEY: writeKey, LOG_LEVEL: 'info' },
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

  const front = await frontIfNeeded(apiUrl);
  const server: KohortServer = {
    url: front?.url ?? apiUrl,
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
      await front?.close();
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

/**
 * Until the composition root registers the web app, serve the build from a
 * small front in the test process and pass every other request to the server
 * (streaming, so Server-Sent Events work). Returns null when the server serves
 * the app itself.
 */
async function frontIfNeeded(apiUrl: string): Promise<{ url: string; close(): Promise<void> } | null> {
  const res = await fetch(`${apiUrl}/cohorts`).catch(() => null);
  if (res && res.ok && (res.headers.get('content-type') ?? '').includes('text/html')) return null;
  const Fastify = (await import('fastify')).default;
  const { registerWebApp } = await import('../../src/http/web-static.js');
  const target = new URL(apiUrl);
  const app = Fastify();
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_req, _payload, done) => done(null));
  const pass = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const up = http.request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
      },
    );
    up.on('error', () => { res.writeHead(502); res.end(); });
    req.pipe(up);
    res.on('close', () => up.destroy());
  };
  app.addHook('onRequest', (req, reply, done) => {
    const p = req.url.split('?')[0]!;
    if (p === '/healthz' || p.startsWith('/v1/') || p.startsWith('/2/')) {
      reply.hijack();
      pass(req.raw, reply.raw);
      return;
    }
    done();
  });
  await registerWebApp(app, { distDir: DIST });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return { url: `http://127.0.0.1:${port}`, close: () => app.close() };
}
