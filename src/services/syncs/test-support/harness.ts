import { createDestinationRegistry, DEFAULT_FACTORIES, type DestinationRegistry } from '../../../destinations/registry.js';
import type { DestinationType } from '../../../schemas/destination.js';
import type { SyncFrequency } from '../../../schemas/sync.js';
import type { SyncStore } from '../../../storage/sync-store.js';
import { SyncRunner, type SyncRunnerDeps } from '../sync-runner.js';
import { FakeClock } from './fake-clock.js';
import { FakeMembership } from './fake-membership.js';
import { MemorySyncStore } from './memory-sync-store.js';

export interface Harness {
  store: SyncStore;
  clock: FakeClock;
  membership: FakeMembership;
  registry: DestinationRegistry;
  runner: SyncRunner;
  syncId: string;
  destinationId: string;
  newRunner(overrides?: Partial<SyncRunnerDeps>): SyncRunner;
}

/** One cohort `c1`, one destination, one sync between them, and a runner on a fake clock. */
export async function makeHarness(opts: {
  type: DestinationType;
  config: Record<string, unknown>;
  members: string[];
  cohortName?: string;
  batchSize?: number;
  frequency?: SyncFrequency;
  store?: SyncStore;
  runner?: Partial<SyncRunnerDeps>;
}): Promise<Harness> {
  const store = opts.store ?? new MemorySyncStore();
  const clock = new FakeClock();
  const membership = new FakeMembership().setCohort('c1', opts.cohortName ?? 'Big spenders', opts.members);
  // Generous for a loaded CI machine; hang tests pass a short one to their runner.
  const registry = createDestinationRegistry(DEFAULT_FACTORIES, { timeoutMs: 5_000 });
  const now = clock.now();
  await store.createDestination({ id: 'd1', name: 'dest', type: opts.type, config: opts.config, now });
  await store.createSync({
    id: 's1',
    cohortId: 'c1',
    destinationId: 'd1',
    frequency: opts.frequency ?? 'hourly',
    batchSize: opts.batchSize ?? 1000,
    nextRunAt: now,
    now,
  });
  let n = 0;
  const newRunner = (overrides: Partial<SyncRunnerDeps> = {}) =>
    new SyncRunner({
      store,
      membership,
      registry,
      clock,
      random: () => 0.5, // jitter factor 1: nominal delays, asserted exactly
      newId: () => `run${++n}`,
      ...opts.runner,
      ...overrides,
    });
  return { store, clock, membership, registry, runner: newRunner(), syncId: 's1', destinationId: 'd1', newRunner };
}
