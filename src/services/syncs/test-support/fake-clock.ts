import type { Clock } from '../clock.js';

/**
 * A clock that never waits: `sleep` records the delay, advances time at once
 * and resolves on the next macrotask (so other work, e.g. HTTP, interleaves).
 */
export class FakeClock implements Clock {
  readonly sleeps: number[] = [];
  constructor(private t: number = Date.parse('2025-01-01T00:00:00.000Z')) {}
  now(): Date {
    return new Date(this.t);
  }
  advance(ms: number): void {
    this.t += ms;
  }
  set(d: Date): void {
    this.t = d.getTime();
  }
  sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this.t += ms;
    return new Promise((resolve) => setImmediate(resolve));
  }
}
