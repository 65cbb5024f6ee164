/**
 * HTTP ingestion into ClickHouse for the clickhouse-2m case: two real `kohort serve`
 * processes on the same PostgreSQL + ClickHouse databases, each driven by its own load
 * generator process (bench/support/load-generator.ts: Segment `/v1/batch` requests of 500
 * tracks with distinct messageIds over keep-alive loopback connections), the connections
 * split between them, for the same time. Stored rows are counted in ClickHouse before and
 * after and compared with the events the servers acknowledged.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { percentile, ROOT } from '../harness.js';
import { exited, tsNode } from './processes.js';
import { cpuSeconds } from './server-cpu.js';

const WRITE_KEY = 'bench-write-key-0001';

interface LoadOutcome {
  elapsedMs: number; requests: number; sent: number; stored: number; duplicates: number; failures: number;
  errors: string[]; latencies: number[]; cpu: { user: number; system: number };
}

export interface IngestOutcome {
  seconds: number;
  acknowledged: number;
  duplicates: number;
  requests: number;
  failures: number;
  eventsPerSecond: number;
  p50: number;
  p99: number;
  perServer: number[];
  /** CPU seconds of each serving process during the load, and of the load generators together. */
  serverCpu: number[];
  /** The part of serverCpu spent in the kernel (socket reads and writes). */
  serverSystemCpu: number[];
  generatorCpu: number;
  errors: string[];
}

/** Where the serving processes come from: this checkout, or another one (a baseline); node flags (a CPU profile). */
export interface ServerSource {
  root?: string;
  nodeFlags?: string[];
}

function startServer(tmp: string, env: Record<string, string>, src: ServerSource = {}): { child: ChildProcess; url: Promise<string>; log: () => string; dir: string } {
  const dir = mkdtempSync(join(tmp, 'bench-ch-serve-'));
  const root = src.root ?? ROOT;
  const child = spawn(process.execPath, [...(src.nodeFlags ?? []), '--import', 'tsx', join(root, 'src/cli.ts'), 'serve'], {
    cwd: root,
    env: { ...process.env, ...env, PORT: '0', HOST: '127.0.0.1', KOHORT_DATA_DIR: dir, KOHORT_WRITE_KEY: WRITE_KEY, KOHORT_ADMIN_TOKEN: 'bench-admin-token-0001', KOHORT_SCHEDULER: 'off' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout!.on('data', (c: Buffer) => (log += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (log += c.toString()));
  const url = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${log.slice(-2000)}`)), 120_000);
    const check = () => {
      const m = /listening on (http:\/\/[^\s"]+)/.exec(log);
      if (m) {
        clearTimeout(timer);
        resolve(m[1].replace('localhost', '127.0.0.1'));
      }
    };
    child.stdout!.on('data', check);
    child.stderr!.on('data', check);
    child.on('exit', (code) => reject(new Error(`server exited with ${code}:\n${log.slice(-2000)}`)));
  });
  return { child, url, log: () => log, dir };
}

async function load(url: string, seconds: number, connections: number, batch: number): Promise<LoadOutcome> {
  const gen = spawn(process.execPath, tsNode('bench/support/load-generator.ts', [url, WRITE_KEY, String(seconds), String(connections), String(batch)]), {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  gen.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  if ((await exited(gen)) !== 0) throw new Error('load generator failed');
  return JSON.parse(out.trim().split('\n').pop()!) as LoadOutcome;
}

/** Runs the load against two serving processes; `countRows` counts the events table (before and after). */
export async function ingestTwoServers(opts: {
  tmp: string;
  databaseUrl: string;
  eventsUrl: string;
  seconds: number;
  connections: number;
  batch: number;
  countRows: () => Promise<number>;
  log: (line: string) => void;
  server?: ServerSource;
}): Promise<IngestOutcome & { rowsAdded: number }> {
  const env = { KOHORT_DATABASE_URL: opts.databaseUrl, KOHORT_EVENTS_URL: opts.eventsUrl };
  // One after the other: the first migrates and holds the migration lock; the second finds it done.
  const servers = [startServer(opts.tmp, env, opts.server)];
  try {
    await servers[0].url;
    servers.push(startServer(opts.tmp, env, opts.server));
    const urls = await Promise.all(servers.map((s) => s.url));
    const before = await opts.countRows();
    const split = [Math.ceil(opts.connections / 2), Math.floor(opts.connections / 2)];
    opts.log(`servers at ${urls.join(', ')}; ${opts.seconds} s over ${split.join(' + ')} connections`);
    const cpuBefore = servers.map((s) => cpuSeconds(s.child.pid!));
    const sysBefore = servers.map((s) => cpuSeconds(s.child.pid!, true));
    const outcomes = await Promise.all(urls.map((u, i) => load(u, opts.seconds, split[i], opts.batch)));
    const serverCpu = servers.map((s, i) => cpuSeconds(s.child.pid!) - cpuBefore[i]);
    const serverSystemCpu = servers.map((s, i) => cpuSeconds(s.child.pid!, true) - sysBefore[i]);
    const rowsAdded = (await opts.countRows()) - before;
    const seconds = Math.max(...outcomes.map((o) => o.elapsedMs)) / 1000;
    const acknowledged = outcomes.reduce((n, o) => n + o.stored, 0);
    const latencies = outcomes.flatMap((o) => o.latencies);
    for (const s of servers) s.child.kill('SIGTERM');
    for (const s of servers) if ((await exited(s.child)) !== 0) throw new Error(`server exited badly:\n${s.log().slice(-2000)}`);
    return {
      seconds,
      acknowledged,
      duplicates: outcomes.reduce((n, o) => n + o.duplicates, 0),
      requests: outcomes.reduce((n, o) => n + o.requests, 0),
      failures: outcomes.reduce((n, o) => n + o.failures, 0),
      eventsPerSecond: Math.floor(acknowledged / seconds),
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      perServer: outcomes.map((o) => o.stored),
      serverCpu,
      serverSystemCpu,
      generatorCpu: outcomes.reduce((n, o) => n + (o.cpu.user + o.cpu.system) / 1e6, 0),
      errors: outcomes.flatMap((o) => o.errors),
      rowsAdded,
    };
  } finally {
    for (const s of servers) {
      if (s.child.exitCode === null) s.child.kill('SIGKILL');
      rmSync(s.dir, { recursive: true, force: true });
    }
  }
}
