import { conflict, notFound, ServiceError } from '../errors.js';

/** Typed sync errors, as the shared ServiceError (mapped to HTTP in http/errors.ts). */
export const syncNotFound = (id: string) => notFound('sync', id);
export const syncRunning = (id: string, runId?: string) =>
  conflict('sync_running', `Sync ${id} is already running`, runId ? { runId } : undefined);
export const syncPaused = (id: string, reason: string | null) =>
  conflict(
    'sync_paused',
    reason === 'auth_failed'
      ? `Sync ${id} is paused: the destination rejected its credentials; update the destination to resume`
      : `Sync ${id} is paused; resume it first`,
    { reason },
  );

export { ServiceError };
