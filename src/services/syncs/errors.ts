/** Typed sync-service errors; the HTTP layer maps `code` to a status in one place. */
export class SyncServiceError extends Error {
  constructor(
    readonly code: 'not_found' | 'sync_running' | 'sync_paused' | 'invalid_input',
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export const syncNotFound = (id: string) => new SyncServiceError('not_found', `sync ${id} not found`);
export const syncRunning = (id: string, runId?: string) =>
  new SyncServiceError('sync_running', `sync ${id} is already running`, runId ? { runId } : undefined);
export const syncPaused = (id: string, reason: string | null) =>
  new SyncServiceError(
    'sync_paused',
    reason === 'auth_failed'
      ? `sync ${id} is paused: the destination rejected its credentials; update the destination to resume`
      : `sync ${id} is paused`,
    { reason },
  );
