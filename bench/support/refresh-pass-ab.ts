/**
 * The cohort-refresh case's scheduler pass, for two source trees side by side in one
 * process (same load, same increments): each tree's composition root on its own copy of
 * the 20M seed, the case's 50 cohorts created in both, then rounds of one increment
 * (written to both) and one `cohorts.refreshMany` per tree, the order alternating.
 *
 *   git archive <commit> src package.json | tar -x -C .tmp/old   # the tree to compare with
 *   npx tsx bench/support/refresh-pass-ab.ts .tmp/old/src src [rounds]
 *
 * A tree outside the repository resolves packages from the nearest node_modules above it,
 * so keep it under the worktree. Not a case of its own: it writes nothing to RESULTS.md.
 * Sizes are compared per round; a pass run later has a later asOf, so a cohort with a
 * relative window may differ by the people whose events left it in between.
 */
import { copyFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Kohort, KohortOptions } from '../../src/main.js';
import { definitions, increment } from '../cases/cohort-refresh.js';
import { ROOT } from '../harness.js';

const [oldSrc, newSrc, roundsArg] = process.argv.slice(2);
if (!oldSrc || !newSrc) throw new Error('usage: refresh-pass-ab.ts <old src dir> <new src dir> [rounds]');
const trees = { old: resolve(oldSrc), new: resolve(newSrc) };
const rounds = Number(roundsArg ?? 4);
const seed = join(ROOT, '.tmp/bench-20m/kohort.duckdb');
if (!existsSync(seed)) throw new Error(`${seed} is missing: copy the 20M seed there first`);

const opened: { name: keyof typeof trees; k: Kohort; ids: string[]; dir: string; ms: number[] }[] = [];
try {
  for (const name of ['old', 'new'] as const) {
    const dir = join(ROOT, `.tmp/refresh-pass-ab-${name}`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    copyFileSync(seed, join(dir, 'kohort.duckdb'));
    const { createKohort } = (await import(pathToFileURL(join(trees[name], 'main.ts')).href)) as { createKohort: (o: KohortOptions) => Promise<Kohort> };
    const k = await createKohort({ dbPath: join(dir, 'kohort.duckdb'), adminToken: 'bench-cohort-admin', writeKey: 'bench-cohort-write', background: false, schedulers: false });
    const ids = new Map<string, string>();
    for (const d of definitions((n) => ids.get(n)!)) {
      ids.set(d.name, (await k.cohorts.create({ name: d.name, kind: 'dynamic', refresh: 'manual', definition: d.definition() })).id);
    }
    for (const id of ids.values()) {
      for (;;) {
        const c = await k.cohorts.get(id);
        if (c.computedAt && c.calculation.state !== 'running') break;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    opened.push({ name, k, ids: [...ids.values()], dir, ms: [] });
    console.log(`${name} (${trees[name]}): 50 cohorts created (load ${loadavg()[0].toFixed(2)})`);
  }
  for (let i = 0; i < rounds; i++) {
    for (const o of opened) await o.k.engine.events.write(increment(10 + i));
    const sizes: number[][] = [];
    for (const o of i % 2 ? [...opened].reverse() : opened) {
      const t = performance.now();
      const result = await o.k.cohorts.refreshMany(o.ids);
      o.ms.push(performance.now() - t);
      sizes.push(o.ids.map((id) => {
        const c = result.get(id);
        if (!c || c instanceof Error) throw new Error(`${o.name}: refresh failed: ${String(c)}`);
        return c.size;
      }));
      console.log(`round ${i} ${o.name}: pass ${(o.ms.at(-1)! / 1000).toFixed(2)} s (load ${loadavg()[0].toFixed(2)})`);
    }
    const differ = sizes[0].flatMap((s, k) => (s === sizes[1][k] ? [] : [`#${k}: ${s} / ${sizes[1][k]}`]));
    console.log(differ.length ? `  sizes differ (in run order): ${differ.join(', ')}` : '  sizes equal');
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const [a, b] = opened.map((o) => median(o.ms));
  console.log(`median pass: old ${(a / 1000).toFixed(2)} s, new ${(b / 1000).toFixed(2)} s, new / old ${(b / a).toFixed(3)}`);
} finally {
  for (const o of opened) {
    await o.k.close();
    rmSync(o.dir, { recursive: true, force: true });
  }
}
