import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * A real `kohort serve` process for crash tests: started on a free port,
 * ready once it logs "ready"; kill it with SIGKILL and start it again on the
 * same data dir.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface ServerProcess {
  proc: ChildProcess;
  base: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The last lines the server printed (for failure messages). */
  tail: string[];
}

const started: ChildProcess[] = [];

/** Kills every server this module started (afterAll). */
export function killAllServers(): void {
  for (const p of started) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
}

export function startServerProcess(
  dataDir: string,
  keys: { adminToken: string; writeKey: string },
  env: Record<string, string> = {},
): Promise<ServerProcess> {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve'], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      KOHORT_DATA_DIR: dataDir,
      KOHORT_ADMIN_TOKEN: keys.adminToken,
      KOHORT_WRITE_KEY: keys.writeKey,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.push(proc);
  const tail: string[] = [];
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return new Promise((resolve, reject) => {
    let port: number | undefined;
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`server did not get ready in 120 s:\n${tail.join('\n')}`)), 120_000);
    const onLine = (line: string) => {
      tail.push(line);
      if (tail.length > 60) tail.shift();
      let msg: string | undefined;
      try {
        msg = (JSON.parse(line) as { msg?: string }).msg;
      } catch {
        return;
      }
      const m = msg?.match(/Kohort listening on http:\/\/localhost:(\d+)/);
      if (m) port = Number(m[1]);
      if (msg === 'ready' && port) {
        clearTimeout(timer);
        resolve({ proc, base: `http://127.0.0.1:${port}`, exited, tail });
      }
    };
    // Always drain both pipes so logs never stall the server.
    proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      buf += chunk;
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        onLine(buf.slice(0, i));
        buf = buf.slice(i + 1);
      }
    });
    proc.stderr!.setEncoding('utf8').on('data', (chunk: string) => tail.push(...chunk.split('\n').filter(Boolean)));
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code ?? signal}) before it was ready:\n${tail.join('\n')}`));
    });
  });
}


/** A JSON call to a server process as `token` (Bearer): status and parsed body. */
export async function callServer<T = any>(s: ServerProcess, token: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${s.base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}
