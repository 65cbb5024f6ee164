import { createServer } from 'node:net';
import { expect, it } from 'vitest';
import { makeHarness } from './test-support/harness.js';

/** A port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

it('a destination that refuses connections: "retrying (n/8): connection refused" while it waits, then a failed run in plain words', async () => {
  const port = await closedPort();
  const h = await makeHarness({ type: 'webhook', config: { url: `http://127.0.0.1:${port}/hook`, secret: `whsec_${Buffer.from('a-secret-of-16-bytes+').toString('base64')}` }, members: ['u1'] });
  const seen: (string | null)[] = [];
  const sleep = h.clock.sleep.bind(h.clock);
  h.clock.sleep = (ms: number) => {
    seen.push(h.runner.liveStatus(h.syncId));
    return sleep(ms);
  };
  const run = await h.runner.run(h.syncId);
  expect(seen).toEqual(Array.from({ length: 8 }, (_, i) => `retrying (${i + 1}/8): connection refused`));
  expect(h.runner.liveStatus(h.syncId)).toBeNull();
  expect(run.status).toBe('failed');
  expect(run.errors[0].message).toBe('add batch 1: network error: connection refused (gave up after 8 retries)');
});
