import { afterEach, beforeEach } from 'vitest';
import { amplitudeListSimulator, MockReceiver } from '../../../destinations/test-support/mock-receiver.js';

export type ListSimulator = ReturnType<typeof amplitudeListSimulator>;

/**
 * Before each test: a fresh mock receiver answering as an amplitude_list
 * partner (API key `key`), handed to `use`; closed after the test.
 */
export function listReceiverPerTest(use: (rx: MockReceiver, sim: ListSimulator) => void): void {
  let current: MockReceiver | undefined;
  beforeEach(async () => {
    current = await new MockReceiver().start();
    const sim = amplitudeListSimulator('key');
    current.handler = sim.handler;
    use(current, sim);
  });
  afterEach(() => current?.close());
}
