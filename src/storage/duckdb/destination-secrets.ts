import type { SerialConnection } from './database.js';

/**
 * Rewrites stored destination configs through `transform` (used once at start
 * to seal secrets stored in plain text by older versions). Only the config
 * changes: no sync is resumed, no time is touched. Returns how many changed.
 */
export async function rewriteDestinationConfigs(
  conn: SerialConnection,
  transform: (config: Record<string, unknown>) => Record<string, unknown>,
): Promise<number> {
  return conn.transaction(async (c) => {
    const rows = (await c.runAndReadAll('SELECT id, CAST(config AS VARCHAR) AS config FROM sync_destinations')).getRowObjects();
    let changed = 0;
    for (const r of rows) {
      const config = JSON.parse(String(r.config)) as Record<string, unknown>;
      const after = JSON.stringify(transform(config));
      if (after === JSON.stringify(config)) continue;
      await c.run('UPDATE sync_destinations SET config = CAST(? AS JSON) WHERE id = ?', [after, String(r.id)]);
      changed++;
    }
    return changed;
  });
}
