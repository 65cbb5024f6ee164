/**
 * Ids one process remembers about PostgreSQL's identity tables, to skip statements whose
 * answer cannot have changed: an id that exists keeps existing (ids are never removed), and a
 * person whose `users` row was acknowledged stays acknowledged. Bounded by the characters held
 * (ids may be 1,024 characters long): past the budget the set is forgotten at once and refills
 * as ids recur, which costs only the skipped statements again.
 */
export class KnownIds {
  private readonly ids = new Set<string>();
  private chars = 0;

  constructor(private readonly budget = 16_000_000) {}

  has(id: string): boolean {
    return this.ids.has(id);
  }

  addAll(ids: Iterable<string>): void {
    for (const id of ids) {
      if (this.ids.has(id)) continue;
      if (this.chars > this.budget) {
        this.ids.clear();
        this.chars = 0;
      }
      this.ids.add(id);
      this.chars += id.length;
    }
  }
}
