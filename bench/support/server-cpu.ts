/**
 * CPU seconds used by the database servers a bench talks to (Linux /proc), so an
 * ingestion figure can say where the machine's time went besides Kohort: the
 * PostgreSQL postmaster and its children (found from a backend's parent), and
 * the process listening on ClickHouse's HTTP port (found by the socket's inode).
 * Other servers on the machine (other checkouts' tests) are not counted.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import pg from 'pg';

/** The fields of /proc/<pid>/stat after the command name (field 3 on is index 0 on); throws once the process is gone. */
function statFields(pid: number): string[] {
  const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return s.slice(s.lastIndexOf(')') + 2).split(' ');
}

function stat(pid: number): string[] | undefined {
  try {
    return statFields(pid);
  } catch {
    return undefined;
  }
}

/** utime + stime of a running process in seconds (`system`: stime alone, the kernel's part). */
export function cpuSeconds(pid: number, system = false): number {
  const f = statFields(pid);
  return ((system ? 0 : Number(f[11])) + Number(f[12])) / 100;
}

/**
 * utime + stime of a process's main thread in seconds (its task of the same id): for Node the
 * JavaScript thread, as opposed to the libuv pool, V8's helpers and native libraries' threads.
 */
export function mainThreadCpuSeconds(pid: number): number {
  const s = readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

/** utime + stime (+ the waited-for children's) of a process in seconds; 0 once gone. */
function cpuOf(pid: number): number {
  const f = stat(pid);
  return f ? (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / 100 : 0;
}

const pids = () => readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number);

/** A process and its direct children (PostgreSQL backends are children of the postmaster). */
function family(root: number): number[] {
  return [root, ...pids().filter((p) => Number(stat(p)?.[1]) === root)];
}

/** The pid holding a listening TCP socket on `port` (loopback, IPv4 or IPv6), if this user can see it. */
function listener(port: number): number | undefined {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  const inodes = new Set<string>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length > 9 && f[1].endsWith(`:${hex}`) && f[3] === '0A') inodes.add(f[9]);
    }
  }
  for (const p of pids()) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${p}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${p}/fd/${fd}`));
        if (m && inodes.has(m[1])) return p;
      } catch {
        /* gone */
      }
    }
  }
  return undefined;
}

export interface ServerCpu {
  /** CPU seconds since serverCpu() of PostgreSQL (postmaster + backends) and ClickHouse; undefined when not found. */
  read(): { postgres?: number; clickhouse?: number };
}

export async function serverCpu(databaseUrl: string, clickhouseUrl: string): Promise<ServerCpu> {
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  let postmaster: number | undefined;
  try {
    const [r] = (await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows;
    postmaster = Number(stat(r.pid)?.[1]) || undefined;
  } finally {
    await c.end();
  }
  const ch = listener(Number(new URL(clickhouseUrl).port || 8123));
  // Backends come and go: each counts from its CPU at the start (0 when it started later); an ended
  // one's time is in the postmaster's children's time, which cpuOf includes.
  const snapshot = () => new Map((postmaster ? family(postmaster) : []).map((p) => [p, cpuOf(p)]));
  const pg0 = snapshot();
  const ch0 = ch ? cpuOf(ch) : 0;
  return {
    read() {
      let postgres: number | undefined;
      if (postmaster) {
        postgres = 0;
        for (const [p, cpu] of snapshot()) postgres += cpu - (pg0.get(p) ?? 0);
      }
      return {
        postgres,
        clickhouse: ch === undefined ? undefined : cpuOf(ch) - ch0,
      };
    },
  };
}
