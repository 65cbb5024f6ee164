import { describe, expect, it } from 'vitest';
import { PollLoop } from './poll-loop.js';
import { systemClock } from './syncs/clock.js';

const tick = () => new Promise((r) => setTimeout(r, 5));
async function until(ok: () => boolean) {
  for (let i = 0; i < 400 && !ok(); i++) await tick();
  expect(ok()).toBe(true);
}

describe('PollLoop', () => {
  it('sleeps the interval between passes unless poked, and runs no pass after stop', async () => {
    let passes = 0;
    const loop = new PollLoop({ clock: systemClock, intervalMs: 60_000, pass: async () => void passes++, onError: () => {} });
    loop.start();
    await until(() => passes === 1);
    await tick();
    expect(passes).toBe(1); // asleep for a minute
    loop.poke();
    await until(() => passes === 2);
    await loop.stop();
    loop.poke();
    await tick();
    expect(passes).toBe(2);
  });

  it('wakes when the pass says work falls due sooner, and survives a failing pass', async () => {
    let passes = 0;
    const errors: unknown[] = [];
    const loop = new PollLoop({
      clock: systemClock,
      intervalMs: 60_000,
      pass: async () => {
        passes++;
        if (passes === 1) throw new Error('store unavailable');
        return passes < 4 ? 1 : undefined;
      },
      onError: (e) => errors.push(e),
    });
    loop.start();
    await until(() => passes === 1);
    expect(errors).toHaveLength(1);
    loop.poke(); // after an error the loop sleeps the interval; a poke wakes it
    await until(() => passes === 4);
    await tick();
    expect(passes).toBe(4);
    await loop.stop();
  });
});
