import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileDefinition } from '../../cohort/cohort-compiler.js';
import { COHORT_MIGRATIONS } from '../../storage/duckdb/cohort-migrations.js';
import { openDatabase, type Database } from '../../storage/duckdb/database.js';
import { createDuckDBCohortStore } from '../../storage/duckdb/duckdb-cohort-store.js';
import { createDuckDBMembershipStore } from '../../storage/duckdb/duckdb-membership-store.js';
import { openDuckDBEventStore, type DuckDBEventStore } from '../../storage/duckdb/duckdb-event-store.js';
import { createMembersService } from './cohort-members.js';
import { createCohortService } from './cohort-service.js';

/**
 * The cohort service's `onMembershipChanged` hook (workflow boards follow it):
 * called after every successful computation, static list edits and deletes;
 * its failure is logged and never fails the computation.
 */
let db: Database;
let events: DuckDBEventStore;
const calls: string[] = [];
const logged: string[] = [];
let failing = false;
let service: ReturnType<typeof createCohortService>;
let members: ReturnType<typeof createMembersService>;

beforeAll(async () => {
  db = await openDatabase(':memory:', [COHORT_MIGRATIONS]);
  events = await openDuckDBEventStore(db);
  await events.write([{ kind: 'track', externalId: 'u1', event: 'purchase', ts: new Date(), props: {} }]);
  const store = createDuckDBCohortStore(db, await db.connect());
  const membership = createDuckDBMembershipStore(db, await db.connect(), events.writer.ids);
  service = createCohortService({
    store,
    members: membership,
    compile: compileDefinition,
    log: (m) => void logged.push(m),
    onMembershipChanged: async (id) => {
      calls.push(id);
      if (failing) throw new Error('board store unavailable');
    },
  });
  members = createMembersService(membership, service);
});
afterAll(async () => {
  await events.close();
  await db.close();
});

describe('onMembershipChanged', () => {
  it('runs after a dynamic computation, static member edits and a delete', async () => {
    const dyn = await service.create({ name: 'Buyers', definition: { match: 'all', rules: [{ type: 'event', event: 'purchase' }] } });
    expect(calls).toContain(dyn.id);
    const list = await service.create({ name: 'List', kind: 'static' });
    calls.length = 0;
    await members.add(list.id, { userIds: ['u1'] }, false);
    await members.remove(list.id, { userIds: ['u1'] });
    expect(calls).toEqual([list.id, list.id]);
    await service.remove(list.id, false);
    expect(calls).toEqual([list.id, list.id, list.id]);
  });

  it('a failing hook is logged; the computation still succeeds', async () => {
    const c = await service.create({ name: 'Static', kind: 'static' });
    failing = true;
    try {
      const r = await members.add(c.id, { userIds: ['u1'] }, false);
      expect(r.added).toBe(1);
      expect((await service.get(c.id)).size).toBe(1);
      expect(logged.some((m) => m.includes(c.id) && m.includes('hook'))).toBe(true);
    } finally {
      failing = false;
    }
  });

  it('is not called when the computation fails', async () => {
    const c = await service.create({ name: 'Fine', definition: { match: 'all', rules: [{ type: 'event', event: 'purchase' }] } });
    calls.length = 0;
    // A definition that compiles but cannot run: the stored member table is gone.
    await db.writer.run('ALTER TABLE cohort_members RENAME TO cohort_members_away');
    try {
      await expect(service.compute(c.id)).rejects.toThrow();
    } finally {
      await db.writer.run('ALTER TABLE cohort_members_away RENAME TO cohort_members');
    }
    expect(calls).toEqual([]);
  });
});
