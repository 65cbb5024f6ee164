import type { FastifyRequest } from 'fastify';
import { referencedCohortIds } from '../cohort/cohort-references.js';
import { parseDefinition } from '../schemas/definition.js';
import type { Access } from '../services/accounts/access-port.js';
import { ServiceError } from '../services/errors.js';

/** The cohort ids a request's definition refers to (none when it does not parse: the service reports that). */
export function definitionReferences(definition: unknown): string[] {
  const parsed = parseDefinition(definition);
  return parsed.ok ? referencedCohortIds(parsed.value) : [];
}

/** The `definition` field of a JSON body, if any. */
export const definitionOf = (body: unknown) => (body && typeof body === 'object' ? (body as { definition?: unknown }).definition : undefined);

/**
 * A definition may only refer to cohorts the caller sees; others are reported
 * like unknown ids (400 `invalid_definition`), so a reference cannot probe
 * hidden cohorts. `what` starts the message ("The definition", "A segment's definition").
 */
export async function assertReferencesVisible(access: Access, req: FastifyRequest, ids: string[], what = 'The definition'): Promise<void> {
  if (!ids.length) return;
  const visible = await access.visibleCohorts(req.principal);
  if (visible === 'all') return;
  const hidden = [...new Set(ids)].filter((r) => !visible.has(r));
  if (hidden.length) {
    throw new ServiceError(400, 'invalid_definition', `${what} refers to cohort ${hidden.map((u) => `"${u}"`).join(', ')}, which does not exist`,
      hidden.map((u) => ({ path: 'cohortId', message: `cohort "${u}" does not exist` })));
  }
}
