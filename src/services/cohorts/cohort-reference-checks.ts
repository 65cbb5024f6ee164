/**
 * The rules a definition's cohort references follow: every referenced cohort
 * exists and none leads back to the cohort being saved (400), and every cohort
 * reached refers only to cohorts its owner may still see (403).
 */
import { findCycle, referencedCohortIds } from '../../cohort/cohort-references.js';
import type { Cohort } from '../../schemas/cohort.js';
import type { Definition } from '../../schemas/definition.js';
import { ServiceError } from '../errors.js';

/** Who holds a definition: its cohort's owner (and name, for the message), or a caller's unsaved one. */
export type ReferenceHolder = { ownerId?: string | null; name?: string };

/**
 * Every saved cohort reached from `def` (and `def` itself, held by `owner`)
 * refers only to cohorts its owner may still see; else a 403 that names the
 * referring cohort (visible to whoever reached it), never the hidden one.
 */
export async function assertHeldReferences(
  visibleToOwner: (ownerId: string | null | undefined) => Promise<Set<string> | 'all'>,
  def: Definition,
  owner: ReferenceHolder | null,
  byId: Map<string, Cohort>,
): Promise<void> {
  const seen = new Set<string>();
  const queue: { def: Definition; owner: ReferenceHolder | null }[] = [{ def, owner }];
  while (queue.length) {
    const { def: d, owner: o } = queue.shift()!;
    const refs = referencedCohortIds(d);
    if (o && refs.length) {
      const visible = await visibleToOwner(o.ownerId ?? null);
      if (visible !== 'all' && refs.some((r) => !visible.has(r))) {
        const who = o.name ? `Cohort ${JSON.stringify(o.name)}` : 'The definition';
        throw new ServiceError(403, 'reference_not_allowed', `${who} refers to a cohort its owner can no longer see; change its definition`);
      }
    }
    for (const r of refs) {
      const c = byId.get(r);
      if (seen.has(r) || !c || c.kind !== 'dynamic' || !c.definition) continue;
      seen.add(r);
      queue.push({ def: c.definition as Definition, owner: c });
    }
  }
}

/** Every cohort `def` refers to exists in `byId`, and (for the cohort `selfId`) none leads back to it. */
export function checkReferencedCohorts(def: Definition, byId: Map<string, Cohort>, selfId?: string): void {
  const unknown = referencedCohortIds(def).filter((id) => !byId.has(id));
  if (unknown.length) {
    throw new ServiceError(400, 'invalid_definition', `The definition refers to cohort ${unknown.map((u) => `"${u}"`).join(', ')}, which does not exist`,
      unknown.map((u) => ({ path: 'cohortId', message: `cohort "${u}" does not exist` })));
  }
  if (selfId) {
    const cycle = findCycle(selfId, def, (id) => (byId.get(id)?.kind === 'dynamic' ? (byId.get(id)!.definition as Definition) : undefined));
    if (cycle) {
      const names = cycle.map((id) => byId.get(id)?.name ?? id);
      throw new ServiceError(400, 'cohort_cycle', `The definition refers to itself: ${names.join(' -> ')}`, { cycle: cycle.map((id, i) => ({ id, name: names[i] })) });
    }
  }
}
