/**
 * Failed sign-ins per email in a sliding window (docs/TEAMS.md: 10 in 15
 * minutes, then 429). A port because with several processes the count must be
 * shared: a guesser spreading attempts over processes gets no more tries.
 */
export interface SignInThrottle {
  /**
   * One sign-in attempt for `key` at `now` (epoch ms): 0 when allowed (the attempt
   * is then counted as a failure until `clear`), else the seconds to wait (not
   * counted). Check and count are one atomic step, so parallel guesses cannot
   * all pass while the first ones are being checked.
   */
  attempt(key: string, now: number): number | Promise<number>;
  /** Forgets the key's failures (after a successful sign-in). */
  clear(key: string): void | Promise<void>;
}
