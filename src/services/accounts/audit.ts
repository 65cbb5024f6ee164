import { randomBytes } from 'node:crypto';
import { auditQuerySchema, type AuditEntry } from '../../schemas/accounts.js';
import type { AccountStore, AuditRecord } from '../../storage/account-store.js';
import { invalidInput, zodIssues } from '../errors.js';
import type { AuditEntryInput, AuditLog } from './access-port.js';

export interface AuditService extends AuditLog {
  /** `GET /v1/audit`: newest first, keyset pages (`nextCursor` null on the last page). */
  list(query: unknown): Promise<{ items: AuditEntry[]; nextCursor: string | null }>;
}

const MAX_SUMMARY = 1000;

const toEntry = (r: AuditRecord): AuditEntry => ({
  id: r.id,
  at: r.at.toISOString(),
  actor: { accountId: r.actorAccountId, email: r.actorEmail, via: r.actorVia },
  action: r.action,
  resourceType: r.resourceType,
  resourceId: r.resourceId,
  summary: r.summary,
});

/** The audit log over the account store. Callers pass summaries without secrets; this only bounds their length. */
export function createAuditService(store: AccountStore, opts: { now?: () => Date } = {}): AuditService {
  const now = opts.now ?? (() => new Date());
  return {
    async record(e: AuditEntryInput) {
      await store.insertAudit({
        id: randomBytes(8).toString('hex'),
        at: now(),
        actorAccountId: e.actor.accountId,
        actorEmail: e.actor.email,
        actorVia: e.actor.via,
        action: e.action,
        resourceType: e.resourceType,
        resourceId: e.resourceId,
        summary: e.summary.length > MAX_SUMMARY ? `${e.summary.slice(0, MAX_SUMMARY - 1)}…` : e.summary,
      });
    },
    async list(query) {
      const r = auditQuerySchema.safeParse(query ?? {});
      if (!r.success) throw invalidInput('Invalid audit query', zodIssues(r.error.issues));
      const q = r.data;
      const rows = await store.listAudit({
        actor: q.actor,
        resourceType: q.resourceType,
        resourceId: q.resourceId,
        action: q.action,
        from: q.from ? new Date(q.from) : undefined,
        to: q.to ? new Date(q.to) : undefined,
        beforeSeq: q.cursor === undefined ? undefined : Number(q.cursor),
        limit: q.limit + 1,
      });
      const page = rows.slice(0, q.limit);
      const more = rows.length > q.limit;
      return { items: page.map(toEntry), nextCursor: more ? String(page[page.length - 1].seq) : null };
    },
  };
}
