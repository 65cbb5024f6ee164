import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileDefinition } from '../../cohort/cohort-compiler.js';
import { COHORT_MIGRATIONS } from '../../storage/duckdb/cohort-migrations.js';
import { openDatabase, type Database } from '../../storage/duckdb/database.js';
import { createDuckDBCohortStore } from '../../storage/duckdb/duckdb-cohort-store.js';
import { createDuckDBMembershipStore } from '../../storage/duckdb/duckdb-membership-store.js';
import { openDuckDBEventStore, type DuckDBEventStore } from '../../storage/duckdb/duckdb-event-store.js';
import type { CohortStore } from '../../storage/cohort-store.js';
import { createCohortService } from './cohort-service.js';

/**
 * A refresh pass through the cohort service (what the scheduler's tick runs):
 * each cohort ends as a computation of its own would leave it (size, history,
 * metadata, hook), and a cohort that cannot be computed fails alone.
 */
let db: Database;
let events: DuckDBEventStore;
let store: CohortStore;
let service: ReturnType<typeof createCohortService>;
const hooked: string[] = [];
const logged: string[] = [];
/** Owners and the cohorts they may see (the owner `blind` sees none). */
const visible = (owner: string | null | undefined): Promise<Set<string> | 'all'> => Promise.resolve(owner === 'blind' ? new Set<string>() : 'all');

const t = (minutesAgo: number) => new Date(Date.now() - minutesAgo * 60_000);

beforeAll(async () => {
  db = await openDatabase(':memory:', [COHORT_MIGRATIONS]);
  events = await openDuckDBEventStore(db);
  await events.write([
    { kind: 'track', externalId: 'u1', event: 'purchase', ts: t(60), props: { price: 10 } },
    { kind: 'track', externalId: 'u2', event: 'view', ts: t(60), props: {} },
  ]);
  store = createDuckDBCohortStore(db, await db.connect());
  service = createCohortService({
    store,
    members: createDuckDBMembershipStore(db, await db.connect(), events.writer.ids, { log: (m) => void logged.push(m) }),
    compile: compileDefinition,
    answerWithinMs: 60_000,
    log: (m) => void logged.push(m),
    onMembershipChanged: async (id) => void hooked.push(id),
    visibleToOwner: visible,
  });
});
afterAll(async () => {
  await events.close();
  await db.close();
});

const rule = (event: string, extra: Record<string, unknown> = {}) => ({ match: 'all', rules: [{ type: 'event', event, ...extra }] });

describe('refresh pass', () => {
  it('refreshes several cohorts together as each would be alone; a failing one fails alone', async () => {
    const buyers = await service.create({ name: 'Buyers', definition: rule('purchase') });
    const viewers = await service.create({ name: 'Viewers in the last day', definition: rule('view', { window: { type: 'last', amount: 1, unit: 'day' } }) });
    const notBuyers = await service.create({ name: 'Not buyers', definition: rule('purchase', { negate: true }) });
    const refersToBuyers = await service.create({ name: 'Buyers again', definition: { match: 'all', rules: [{ type: 'cohort', cohortId: buyers.id }] } });
    const list = await service.create({ name: 'List', kind: 'static' });
    expect([buyers.size, viewers.size, notBuyers.size, refersToBuyers.size]).toEqual([1, 1, 1, 1]);
    // Its owner can no longer see what it refers to: it fails, the others do not.
    await store.update({ ...(await service.get(refersToBuyers.id)), ownerId: 'blind' });

    await events.write([
      { kind: 'track', externalId: 'u2', event: 'purchase', ts: t(5), props: {} },
      { kind: 'track', externalId: 'u3', event: 'view', ts: t(5), props: {} },
    ]);
    hooked.length = 0;
    const ids = [buyers.id, viewers.id, notBuyers.id, refersToBuyers.id, list.id];
    const result = await service.refreshMany(ids);
    expect([...result.keys()]).toEqual(expect.arrayContaining(ids));
    const ok = (id: string) => {
      const r = result.get(id);
      if (!r || r instanceof Error) throw new Error(`cohort ${id} failed: ${String(r)}`);
      return r;
    };
    expect(ok(buyers.id)).toMatchObject({ size: 2, calculation: { state: 'idle', lastError: null } });
    expect(ok(viewers.id).size).toBe(2);
    expect(ok(notBuyers.id).size).toBe(1); // u3
    expect(ok(list.id).size).toBe(0);
    expect(result.get(refersToBuyers.id)).toBeInstanceOf(Error);
    expect((await service.get(refersToBuyers.id)).calculation).toMatchObject({ state: 'failed', lastError: expect.stringContaining('can no longer see') });
    expect((await service.get(refersToBuyers.id)).size).toBe(1); // the last good membership stays

    // Stored as the service returned it, with one history row each, entered / exited counted.
    expect(await service.get(buyers.id)).toEqual(ok(buyers.id));
    expect((await service.history(buyers.id))[0]).toMatchObject({ size: 2, entered: 1, exited: 0 });
    expect((await service.history(notBuyers.id))[0]).toMatchObject({ size: 1, entered: 1, exited: 1 });
    expect(await service.history(refersToBuyers.id)).toHaveLength(1); // only its first computation
    expect(hooked.sort()).toEqual([buyers.id, viewers.id, notBuyers.id, list.id].sort());

    // The same cohorts computed alone agree.
    for (const id of [buyers.id, viewers.id, notBuyers.id]) expect((await service.compute(id)).size).toBe(ok(id).size);
    expect(logged.filter((m) => m.includes('pass failed'))).toEqual([]);
  });
});
