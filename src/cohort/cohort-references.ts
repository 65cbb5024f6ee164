/**
 * Cohort references: which cohorts a definition refers to, and the check that
 * no definition refers to itself, directly or through others.
 */
import type { Definition, Rule } from '../schemas/definition';

/** What a cohort id stands for when a definition refers to it. */
export type ResolvedCohort = { kind: 'dynamic'; definition: Definition } | { kind: 'static' };
export type CohortResolver = (cohortId: string) => ResolvedCohort | undefined;

export class CohortCycleError extends Error {
  override readonly name = 'CohortCycleError';
  /** The cycle, first id repeated at the end: ["A", "B", "A"]. */
  readonly cycle: string[];
  constructor(cycle: string[], nameOf: (id: string) => string = (id) => id) {
    super(`Cohort definition refers to itself: ${cycle.map(nameOf).join(' -> ')}`);
    this.cycle = cycle;
  }
}

export class UnknownCohortError extends Error {
  override readonly name = 'UnknownCohortError';
  constructor(readonly cohortId: string) {
    super(`The definition refers to cohort "${cohortId}", which does not exist`);
  }
}

/** Distinct cohort ids referenced anywhere in the definition, in order of appearance. */
export function referencedCohortIds(definition: Definition): string[] {
  const out = new Set<string>();
  const walk = (rules: Rule[]) => {
    for (const r of rules) {
      if (r.type === 'cohort') out.add(r.cohortId);
      else if (r.type === 'group') walk(r.rules);
    }
  };
  walk(definition.rules);
  return [...out];
}

/**
 * The first reference cycle reachable from `rootId` (whose definition is given,
 * typically not saved yet), as ids with the first repeated at the end, or null.
 * `getDefinition` returns the saved definition of a dynamic cohort, undefined
 * for static or unknown ones (they refer to nothing).
 */
export function findCycle(
  rootId: string,
  definition: Definition,
  getDefinition: (cohortId: string) => Definition | undefined,
): string[] | null {
  const done = new Set<string>();
  const path: string[] = [];
  const visit = (id: string, def: Definition | undefined): string[] | null => {
    const at = path.indexOf(id);
    if (at >= 0) return [...path.slice(at), id];
    if (done.has(id) || def === undefined) return null;
    path.push(id);
    for (const ref of referencedCohortIds(def)) {
      const cycle = visit(ref, ref === rootId ? definition : getDefinition(ref));
      if (cycle) return cycle;
    }
    path.pop();
    done.add(id);
    return null;
  };
  return visit(rootId, definition);
}

/** Throws CohortCycleError when the definition of `rootId` would close a cycle. */
export function assertNoCycle(
  rootId: string,
  definition: Definition,
  getDefinition: (cohortId: string) => Definition | undefined,
  nameOf?: (id: string) => string,
): void {
  const cycle = findCycle(rootId, definition, getDefinition);
  if (cycle) throw new CohortCycleError(cycle, nameOf);
}
