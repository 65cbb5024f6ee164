/**
 * In-memory state that mirrors the store and changes while a group commit is
 * built (identities, trait-operation keys): each change records how to undo
 * itself, so a failed commit leaves the state as it was.
 */
export class UndoLog {
  private undo: (() => void)[] = [];

  /** Starts recording changes for one commit. */
  begin(): void {
    this.undo = [];
  }

  /** Forgets the undo log: the commit succeeded. */
  commit(): void {
    this.undo = [];
  }

  /** Reverts every change since begin(): the commit failed. */
  rollback(): void {
    for (const u of this.undo.reverse()) u();
    this.undo = [];
  }

  /** How to revert a change just made. */
  protected onRollback(fn: () => void): void {
    this.undo.push(fn);
  }
}
