#!/usr/bin/env node
// Builds the web app when dist/web is missing or older than its sources, so
// `npm start` on a fresh clone serves the app without a manual build step.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const out = join(root, 'dist/web/index.html');

function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

const sources = Math.max(newest(join(root, 'src/web')), newest(join(root, 'src/schemas')), statSync(join(root, 'vite.config.ts')).mtimeMs);
if (existsSync(out) && statSync(out).mtimeMs >= sources && !process.argv.includes('--force')) process.exit(0);
console.log('Building the web app (dist/web)...');
const r = spawnSync(process.execPath, [join(root, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
process.exit(r.status ?? 1);
