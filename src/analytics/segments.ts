/**
 * What a segment stands for, engine-neutral: everyone, a definition
 * evaluated as of asOf (unsaved, or a saved dynamic cohort's), or a static
 * cohort's stored members; the latter two possibly negated (the universe minus them).
 */
import { UnknownCohortError, type CohortResolver } from '../cohort/cohort-references.js';
import type { Definition } from '../schemas/definition.js';
import type { Segment } from '../schemas/analytics.js';

export type SegmentSet =
  | { kind: 'all' }
  | { kind: 'definition'; definition: Definition; negate: boolean }
  | { kind: 'static'; cohortId: string; negate: boolean };

export function segmentSet(segment: Segment, resolveCohort: CohortResolver): SegmentSet {
  if ('all' in segment) return { kind: 'all' };
  if ('definition' in segment) return { kind: 'definition', definition: segment.definition, negate: false };
  const resolved = resolveCohort(segment.cohortId);
  if (!resolved) throw new UnknownCohortError(segment.cohortId);
  const negate = segment.negate ?? false;
  return resolved.kind === 'static'
    ? { kind: 'static', cohortId: segment.cohortId, negate }
    : { kind: 'definition', definition: resolved.definition, negate };
}
