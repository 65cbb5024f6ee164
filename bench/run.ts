import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describeMachine, judge, mergeResults, renderCase, ROOT, type BenchCase } from './harness.js';

const RESULTS = join(ROOT, 'bench/RESULTS.md');

async function loadCases(): Promise<BenchCase[]> {
  const dir = join(ROOT, 'bench/cases');
  const files = readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts')).sort();
  const cases: BenchCase[] = [];
  for (const f of files) {
    const mod = (await import(pathToFileURL(join(dir, f)).href)) as Partial<BenchCase> & { default?: BenchCase };
    const c = mod.default ?? (mod as BenchCase);
    if (typeof c.name !== 'string' || typeof c.run !== 'function') throw new Error(`bench/cases/${f} must export name and run(ctx)`);
    cases.push(c);
  }
  return cases;
}

/** `kohort bench [--only NAME]`: runs the cases one after the other and records them in bench/RESULTS.md. */
export async function runBenchmarks(opts: { only?: string } = {}): Promise<void> {
  const all = await loadCases();
  const cases = opts.only ? all.filter((c) => c.name === opts.only) : all;
  if (!cases.length) {
    console.error(`No benchmark named "${opts.only}". Known: ${all.map((c) => c.name).join(', ')}`);
    process.exitCode = 2;
    return;
  }
  const tmp = join(ROOT, '.tmp');
  mkdirSync(tmp, { recursive: true });
  let failed = 0;
  for (const c of cases) {
    console.log(`\n== ${c.name}`);
    const machine = await describeMachine();
    const when = new Date();
    try {
      const r = await c.run({ root: ROOT, tmp, log: (line) => console.log(`  ${line}`) });
      if (r.skipped !== undefined) continue; // the case logged why; its recorded section stays
      for (const f of r.figures) {
        const j = judge(f);
        console.log(`  ${f.label}: ${f.value} ${f.unit}${j.ratio === undefined ? '' : ` (ratio ${j.ratio.toFixed(3)}, ${j.met ? 'met' : 'MISSED'})`}`);
      }
      const section = renderCase(c.name, c.description, r, machine, when, loadavg());
      const before = existsSync(RESULTS) ? readFileSync(RESULTS, 'utf8') : undefined;
      writeFileSync(RESULTS, mergeResults(before, c.name, section));
    } catch (err) {
      failed++;
      console.error(`  ${c.name} failed:`, err);
    }
  }
  console.log(`\nResults written to ${RESULTS}`);
  if (failed) process.exitCode = 1;
}
