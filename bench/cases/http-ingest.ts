import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { percentile, ROOT, type BenchContext, type CaseResult } from '../harness.js';
import { exited, tsNode } from '../support/processes.js';
import { cpuSeconds, mainThreadCpuSeconds } from '../support/server-cpu.js';

export const name = 'http-ingest';
export const description =
  'A real `kohort serve` process on a fresh data dir; a load generator in a second process sends Segment `/v1/batch` ' +
  'requests of 500 track events (distinct messageIds) over 8 keep-alive loopback connections for 30 s, while the server ' +
  'reorganizes in the background. Both processes share the machine\'s cores. Afterwards the server is stopped and the stored ' +
  'rows are counted in the DuckDB file. Set BENCH_PROFILE=1 to write a CPU profile of the server into .tmp/prof-http-ingest/.';

const SECONDS = Number(process.env.BENCH_HTTP_SECONDS ?? 30);
const CONNECTIONS = Number(process.env.BENCH_HTTP_CONNECTIONS ?? 8);
const BATCH = 500;
const WRITE_KEY = 'bench-write-key-0001';

/** Peak resident memory of a process in MiB (Linux VmHWM). */
function peakMiB(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : NaN;
}

interface LoadOutcome {
  elapsedMs: number; requests: number; sent: number; stored: number; duplicates: number; failures: number;
  errors: string[]; latencies: number[]; cpu: { user: number; system: number };
}

export async function run(ctx: BenchContext): Promise<CaseResult> {
  const dataDir = join(ctx.tmp, 'bench-http-ingest');
  rmSync(dataDir, { recursive: true, force: true });
  const profDir = join(ctx.tmp, 'prof-http-ingest');
  const flags = process.env.BENCH_PROFILE === '1' ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [];
  const server = spawn(process.execPath, tsNode('src/cli.ts', ['serve'], flags), {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', KOHORT_DATA_DIR: dataDir, KOHORT_WRITE_KEY: WRITE_KEY, KOHORT_ADMIN_TOKEN: 'bench-admin-token-0001', KOHORT_SCHEDULER: 'off' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  server.stdout.on('data', (c: Buffer) => (log += c.toString()));
  server.stderr.on('data', (c: Buffer) => (log += c.toString()));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`server did not start:\n${log.slice(-2000)}`)), 60_000);
      const check = () => {
        const m = /listening on (http:\/\/[^\s"]+)/.exec(log);
        if (m && /"msg":"ready"|\bready\b/.test(log)) {
          clearTimeout(timer);
          resolve(m[1].replace('localhost', '127.0.0.1'));
        }
      };
      server.stdout.on('data', check);
      server.on('exit', (code) => reject(new Error(`server exited with ${code}:\n${log.slice(-2000)}`)));
    });
    ctx.log(`server at ${url}; sending for ${SECONDS} s over ${CONNECTIONS} connections`);
    const cpuBefore = cpuSeconds(server.pid!);
    const mainBefore = mainThreadCpuSeconds(server.pid!);
    const gen = spawn(process.execPath, tsNode('bench/support/load-generator.ts', [url, WRITE_KEY, String(SECONDS), String(CONNECTIONS), String(BATCH)]), {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    gen.stdout.on('data', (c: Buffer) => (out += c.toString()));
    if ((await exited(gen)) !== 0) throw new Error('load generator failed');
    const serverCpu = cpuSeconds(server.pid!) - cpuBefore;
    const mainCpu = mainThreadCpuSeconds(server.pid!) - mainBefore;
    const serverPeak = peakMiB(server.pid!);
    const r = JSON.parse(out.trim().split('\n').pop()!) as LoadOutcome;
    ctx.log(`acknowledged ${r.stored} events in ${r.requests} requests; stopping the server`);
    server.kill('SIGTERM');
    if ((await exited(server)) !== 0) throw new Error(`server exited badly:\n${log.slice(-2000)}`);

    const inst = await DuckDBInstance.create(join(dataDir, 'kohort.duckdb'));
    const c = await inst.connect();
    const [n] = (await c.runAndReadAll('SELECT (SELECT count(*) FROM events) AS sorted, (SELECT count(*) FROM events_tail) AS tail')).getRowObjects();
    c.closeSync();
    inst.closeSync();
    const sorted = Number(n.sorted), tail = Number(n.tail);
    const storedRows = sorted + tail;
    const seconds = r.elapsedMs / 1000;
    const failedReorgs = (log.match(/reorganization failed/g) ?? []).length;
    const notes = [
      `${r.requests} requests (${r.failures} failed), ${r.sent} events sent, ${r.stored} acknowledged as stored, ${r.duplicates} as duplicates.`,
      `Stored rows after stopping: ${storedRows} (${sorted} in the reorganized \`events\` table, ${tail} in \`events_tail\`): ` +
        `${storedRows === r.stored ? 'equal to' : '**different from**'} the acknowledged count. ` +
        `${sorted > 0 ? 'Rows in `events` prove at least one background reorganization ran during the load.' : '**No reorganization ran during the load.**'}` +
        `${failedReorgs ? ` The server logged ${failedReorgs} failed reorganization(s).` : ''}`,
      `CPU: server ${serverCpu.toFixed(1)} s (JavaScript main thread ${mainCpu.toFixed(1)} s, the rest DuckDB, the libuv pool and V8's helpers), load generator ${((r.cpu.user + r.cpu.system) / 1e6).toFixed(1)} s, over ${seconds.toFixed(1)} s of wall time on the shared cores.`,
      ...r.errors.map((e) => `error sample: ${e}`),
    ];
    if (storedRows !== r.stored) throw Object.assign(new Error(`stored ${storedRows} rows but acknowledged ${r.stored}`), { notes });
    return {
      figures: [
        { label: 'sustained ingestion (acknowledged events / wall time)', value: Math.floor(r.stored / seconds), unit: 'events/s', target: 100_000, better: 'higher' },
        { label: 'request latency p50 (500 events)', value: Math.round(percentile(r.latencies, 50) * 10) / 10, unit: 'ms' },
        { label: 'request latency p99 (500 events)', value: Math.round(percentile(r.latencies, 99) * 10) / 10, unit: 'ms', target: 100 },
        { label: 'stored rows equal acknowledged events', value: storedRows === r.stored ? 1 : 0, unit: 'yes = 1' },
        { label: 'rows moved into `events` by background reorganization', value: sorted, unit: 'rows' },
        { label: 'server CPU per 1,000 events', value: Math.round((serverCpu / (r.stored / 1000)) * 1e6) / 1e3, unit: 'ms' },
        // The JavaScript thread caps the rate on its own (one core at most): 100k events/s needs it well under 10 ms.
        { label: 'server CPU per 1,000 events, JavaScript main thread only', value: Math.round((mainCpu / (r.stored / 1000)) * 1e6) / 1e3, unit: 'ms' },
        { label: 'server peak memory (VmHWM)', value: serverPeak, unit: 'MiB' },
      ],
      notes,
    };
  } finally {
    if (server.exitCode === null) server.kill('SIGKILL');
  }
}
