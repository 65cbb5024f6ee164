import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileDefinition } from '../../cohort/cohort-compiler.js';
import { COHORT_MIGRATIONS } from '../../storage/duckdb/cohort-migrations.js';
import { openDatabase, type Database } from '../../storage/duckdb/database.js';
import { createDuckDBCohortStore } from '../../storage/duckdb/duckdb-cohort-store.js';
import { openDuckDBEventStore, type DuckDBEventStore } from '../../storage/duckdb/duckdb-event-store.js';
import { createDuckDBMembershipStore } from '../../storage/duckdb/duckdb-membership-store.js';
import type { CohortStore } from '../../storage/cohort-store.js';
import type { MembershipStore } from '../../storage/membership-store.js';
import { createCohortService } from './cohort-service.js';

/**
 * Metadata and member sets are two stores (possibly two engines): the service
 * records history from what the membership side returns, deletes both, and
 * at start drops member sets whose cohort is gone (a delete interrupted between them).
 */
let db: Database;
let events: DuckDBEventStore;
let store: CohortStore;
let members: MembershipStore;
let service: ReturnType<typeof createCohortService>;

beforeAll(async () => {
  db = await openDatabase(':memory:', [COHORT_MIGRATIONS]);
  events = await openDuckDBEventStore(db);
  await events.write(['a', 'b', 'c'].map((externalId) => ({ kind: 'track' as const, externalId, event: 'purchase', ts: new Date(Date.now() - 1000), props: {} })));
  store = createDuckDBCohortStore(db, await db.connect());
  members = createDuckDBMembershipStore(db, await db.connect(), events.writer.ids);
  service = createCohortService({ store, members, compile: compileDefinition, log: () => undefined });
});
afterAll(async () => {
  await events.close();
  await db.close();
});

const buyers = { match: 'all', rules: [{ type: 'event', event: 'purchase' }] };

describe('cohort metadata and member sets', () => {
  it('records each computation in the history from the membership result', async () => {
    const c = await service.create({ name: 'Buyers', definition: buyers });
    await service.refresh(c.id);
    const h = await service.history(c.id);
    expect(h.map((x) => [x.size, x.entered, x.exited])).toEqual([[3, 0, 0], [3, 3, 0]]);
    expect(await members.memberCount(c.id)).toBe(3);
  });

  it('a delete removes the metadata, the history and the member set', async () => {
    const c = await service.create({ name: 'Gone', definition: buyers });
    await service.remove(c.id, false);
    expect(await store.get(c.id)).toBeUndefined();
    expect(await store.history(c.id, 10)).toEqual([]);
    expect(await members.memberCount(c.id)).toBe(0);
  });

  it('start-up drops member sets left without a cohort, and keeps the others', async () => {
    const kept = await service.create({ name: 'Kept', definition: buyers });
    const half = await service.create({ name: 'Half deleted', definition: buyers });
    await store.delete(half.id); // as if the process died before the member set went
    expect(await service.removeOrphanMembers()).toBe(1);
    expect(await members.memberCount(half.id)).toBe(0);
    expect(await members.memberCount(kept.id)).toBe(3);
    expect(await service.removeOrphanMembers()).toBe(0);
  });
});
