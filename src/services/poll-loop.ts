import type { Clock } from './syncs/clock.js';

export interface PollLoopOptions {
  clock: Clock;
  /** Longest sleep between passes when nothing pokes the loop. */
  intervalMs: number;
  /** One look for work; may return how long until more work falls due (capped by `intervalMs`). */
  pass: () => Promise<number | void>;
  onError: (err: unknown) => void;
}

/**
 * The background loop shared by the sync scheduler and the step-action runner:
 * run a pass, sleep until work falls due or the interval ends, wake early on
 * `poke()` (a poke during a pass starts the next one at once).
 */
export class PollLoop {
  private loop: Promise<void> | null = null;
  private stopper: AbortController | null = null;
  private wake: AbortController | null = null;
  private poked = false;

  constructor(private readonly opts: PollLoopOptions) {}

  /** True between `stop()` being called and the loop having ended. */
  get stopping(): boolean {
    return this.stopper?.signal.aborted ?? false;
  }

  start(): void {
    if (this.loop) return;
    const stopper = (this.stopper = new AbortController());
    const { clock, intervalMs } = this.opts;
    this.loop = (async () => {
      while (!stopper.signal.aborted) {
        this.poked = false;
        let wait = intervalMs;
        try {
          const due = await this.opts.pass();
          if (typeof due === 'number') wait = Math.min(Math.max(0, due), intervalMs);
        } catch (err) {
          this.opts.onError(err);
        }
        if (this.poked || wait === 0 || stopper.signal.aborted) continue;
        this.wake = new AbortController();
        await clock.sleep(wait, AbortSignal.any([stopper.signal, this.wake.signal]));
      }
    })();
  }

  poke(): void {
    this.poked = true;
    this.wake?.abort();
  }

  /** Ends the loop after the pass under way. */
  async stop(): Promise<void> {
    this.stopper?.abort();
    await this.loop;
    this.loop = null;
    this.stopper = null;
  }
}
