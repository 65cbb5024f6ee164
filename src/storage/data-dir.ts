import { chmodSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Kohort's files are readable by its own user only (api.md, Security rules):
 * from now on every file this process makes is 0600 and every folder 0700
 * (umask 077), and what an older version left in the data dir is tightened.
 */
export function secureDataDir(dir: string): void {
  process.umask(0o077);
  chmodSync(dir, 0o700);
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isSymbolicLink()) continue; // a link's target is not ours to change
      if (e.isDirectory()) {
        chmodSync(p, 0o700);
        walk(p);
      } else if (e.isFile()) chmodSync(p, 0o600);
    }
  };
  walk(dir);
}
