import { afterEach, describe, expect, it } from 'vitest';
import { COHORT_EXPORT_MIGRATIONS } from './cohort-export-migrations.js';
import { createDuckDBCohortExportStore } from './cohort-export-store.js';
import { openDatabase, type Database } from './database.js';

let db: Database | undefined;
afterEach(async () => {
  await db?.close();
  db = undefined;
});

describe('cohort export migrations', () => {
  it('moves snapshots kept by person key (with per-key traits) to user ids with one traits object', async () => {
    // A store written by the first migration; the second is applied as openDatabase would on upgrade.
    db = await openDatabase(':memory:', [COHORT_EXPORT_MIGRATIONS.slice(0, 1)]);
    await db.writer.run(`INSERT INTO users (uid, user_id, created_at) VALUES (1, 'alice', now()), (2, 'bob', now())`);
    await db.writer.run(`INSERT INTO cohort_exports VALUES ('e1', 'c1', true, NULL, 'completed', NULL, TIMESTAMP '2026-01-01 00:00:00', TIMESTAMP '2026-01-01 00:00:01'),
                                                       ('e2', 'c1', false, NULL, 'pending', NULL, TIMESTAMP '2026-01-02 00:00:00', NULL)`);
    await db.writer.run(`INSERT INTO cohort_export_members VALUES ('e1', 1), ('e1', 2), ('e2', 2)`);
    await db.writer.run(`INSERT INTO cohort_export_traits VALUES ('e1', 1, 'plan', '"pro"'), ('e1', 1, 'n', '3')`);
    await db.writer.run(COHORT_EXPORT_MIGRATIONS[1].sql);
    const store = createDuckDBCohortExportStore(db, await db.connect());
    const rows = async (id: string) => {
      const out = [];
      for await (const p of store.rows(id)) out.push(...p);
      return out;
    };
    expect(await store.traitKeys('e1')).toEqual(['n', 'plan']);
    expect(await rows('e1')).toEqual([{ userId: 'alice', traits: { plan: 'pro', n: 3 } }, { userId: 'bob', traits: {} }]);
    expect(await rows('e2')).toEqual([{ userId: 'bob', traits: {} }]);
    expect((await store.pending()).map((e) => e.id)).toEqual(['e2']);
  });
});
