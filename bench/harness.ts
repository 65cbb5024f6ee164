import { cpus, loadavg, totalmem } from 'node:os';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

/** One measured figure. `ratio` = value / target (computed when omitted). */
export interface Figure {
  label: string;
  value: number;
  unit: string;
  target?: number;
  /** Which side of the target is good; default 'lower' (times, memory). */
  better?: 'lower' | 'higher';
  ratio?: number;
}

export interface CaseResult {
  /** Set when the case could not run here (why): its section in RESULTS.md is left as it was. */
  skipped?: string;
  figures: Figure[];
  notes?: string[];
}

export interface BenchContext {
  /** Repository root. */
  root: string;
  /** Gitignored scratch directory (`.tmp/`). */
  tmp: string;
  log(line: string): void;
}

export interface BenchCase {
  name: string;
  /** One line saying what is measured and how. */
  description?: string;
  run(ctx: BenchContext): Promise<CaseResult>;
}

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

export interface Machine {
  cores: number;
  memoryGiB: number;
  cpu: string;
  node: string;
  duckdb: string;
  loadAvg: number[];
}

export async function describeMachine(): Promise<Machine> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const inst = await DuckDBInstance.create(':memory:');
  const c = await inst.connect();
  const [row] = (await c.runAndReadAll('SELECT version() AS v')).getRowObjects();
  c.closeSync();
  inst.closeSync();
  const api = JSON.parse(readFileSync(join(ROOT, 'node_modules/@duckdb/node-api/package.json'), 'utf8')).version;
  return {
    cores: cpus().length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    cpu: cpus()[0]?.model ?? 'unknown',
    node: process.version,
    duckdb: `${String(row.v)} (@duckdb/node-api ${api})`,
    loadAvg: loadavg(),
  };
}

/** ratio and met/missed of a figure, from its target. */
export function judge(f: Figure): { ratio?: number; met?: boolean } {
  if (f.target === undefined) return {};
  const ratio = f.ratio ?? f.value / f.target;
  const met = (f.better ?? 'lower') === 'lower' ? f.value <= f.target : f.value >= f.target;
  return { ratio, met };
}

/** Figures keep their measured precision (no rounding towards a target). */
const num = (n: number) => (Number.isInteger(n) ? n.toLocaleString('en-US') : n.toLocaleString('en-US', { maximumSignificantDigits: 4 }));

export function renderCase(name: string, description: string | undefined, r: CaseResult, m: Machine, when: Date, loadAfter: number[]): string {
  const lines = [`<!-- case:${name} -->`, `## ${name}`, ''];
  if (description) lines.push(description, '');
  lines.push(
    `Run ${when.toISOString()} on ${m.cores} cores / ${m.memoryGiB} GiB (${m.cpu}), Node ${m.node}, DuckDB ${m.duckdb}. ` +
      `Load average before ${m.loadAvg.map((x) => x.toFixed(2)).join(' / ')}, after ${loadAfter.map((x) => x.toFixed(2)).join(' / ')} (1/5/15 min).`,
    '',
    '| figure | value | unit | target | ratio to target | |',
    '|---|---:|---|---|---:|---|',
  );
  for (const f of r.figures) {
    const j = judge(f);
    const target = f.target === undefined ? '' : `${(f.better ?? 'lower') === 'lower' ? '≤' : '≥'} ${num(f.target)}`;
    lines.push(
      `| ${f.label} | ${num(f.value)} | ${f.unit} | ${target} | ${j.ratio === undefined ? '' : j.ratio.toFixed(3)} | ${j.met === undefined ? '' : j.met ? 'met' : '**missed**'} |`,
    );
  }
  if (r.notes?.length) lines.push('', ...r.notes.map((n) => `- ${n}`));
  lines.push('', `<!-- /case:${name} -->`);
  return lines.join('\n');
}

const HEADER = `# Benchmark results

Written by \`npm run bench\` (\`--only NAME\` re-runs one case and replaces its section).
Figures are as measured on the machine named in each section; targets and ratios
are in the tables (ratio = value / target).
`;

/** Replaces (or appends) the section of one case, keeping every other section. */
export function mergeResults(existing: string | undefined, name: string, section: string): string {
  const body = existing ?? HEADER;
  const re = new RegExp(`<!-- case:${name.replace(/[^\w-]/g, '')} -->[\\s\\S]*?<!-- /case:${name.replace(/[^\w-]/g, '')} -->`);
  if (re.test(body)) return body.replace(re, () => section);
  return `${body.trimEnd()}\n\n${section}\n`;
}

/** Nearest-rank percentile of unsorted samples. */
export function percentile(samples: number[], p: number): number {
  if (!samples.length) return NaN;
  const s = [...samples].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}
