import type { SerialConnection } from './database.js';

/**
 * Rewrites every stored step action and queued execution action through
 * `transform` in one transaction (at start: step-webhook secrets stored in
 * plain text by an older version get sealed). Returns how many rows changed.
 */
export async function rewriteStepActions(
  conn: SerialConnection,
  transform: (action: Record<string, unknown>) => Record<string, unknown>,
): Promise<number> {
  return conn.transaction(async (c) => {
    let changed = 0;
    for (const [table, key] of [['workflow_steps', 'id'], ['workflow_actions', 'id']] as const) {
      const rows = (await c.runAndReadAll(`SELECT ${key} AS k, CAST(action AS VARCHAR) AS action FROM ${table} WHERE action IS NOT NULL`)).getRowObjects();
      for (const r of rows) {
        const action = JSON.parse(String(r.action)) as Record<string, unknown> | null;
        if (!action || typeof action !== 'object') continue;
        const after = JSON.stringify(transform(action));
        if (after === JSON.stringify(action)) continue;
        await c.run(`UPDATE ${table} SET action = CAST(? AS JSON) WHERE ${key} = ?`, [after, String(r.k)]);
        changed++;
      }
    }
    return changed;
  });
}
