import type { FastifyRequest } from 'fastify';
import type { AuditLog } from '../services/accounts/access-port.js';

/** Quotes a user-given name for an audit summary (bounded, one line). */
export const q = (s: string) => JSON.stringify(s.length > 120 ? `${s.slice(0, 119)}…` : s);

/**
 * Records a change that has already been committed. A failure to record is
 * logged, not answered: the change happened, and a 500 would invite a retry
 * that repeats it.
 */
export async function recordChange(
  audit: AuditLog,
  req: FastifyRequest,
  action: string,
  resource: { type: string; id: string | null },
  summary: string,
): Promise<void> {
  try {
    await audit.record({ actor: req.principal, action, resourceType: resource.type, resourceId: resource.id, summary });
  } catch (err) {
    req.log.error({ err, action, resourceId: resource.id }, 'could not record an audit entry');
  }
}
