import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../config.js';
import { openDatabase } from './database.js';

describe('KOHORT_MEMORY_LIMIT', () => {
  it('is read as a size and handed to DuckDB as its memory_limit', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kohort-mem-'));
    try {
      const config = loadConfig({ KOHORT_DATA_DIR: dir, KOHORT_MEMORY_LIMIT: '256MiB' });
      expect(config.memoryLimit).toBe('256MiB');
      expect(loadConfig({ KOHORT_DATA_DIR: dir }).memoryLimit).toBeUndefined();
      expect(() => loadConfig({ KOHORT_DATA_DIR: dir, KOHORT_MEMORY_LIMIT: 'lots' })).toThrow(ConfigError);
      const db = await openDatabase(':memory:', [], { memoryLimit: config.memoryLimit });
      try {
        const [r] = await db.reads.rows<{ v: string }>("SELECT current_setting('memory_limit') AS v");
        expect(r.v).toBe('256.0 MiB');
      } finally {
        await db.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
