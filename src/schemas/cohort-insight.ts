/**
 * Bodies and answers of "why is this user (not) in?" (explain) and "what would
 * saving this definition change?" (diff); api.md, Cohorts.
 */
import { z } from 'zod';

const instant = z.iso.datetime({ offset: true, message: 'must be an ISO-8601 date-time' }).or(z.iso.date({ message: 'must be an ISO-8601 date' }));
const userId = z.string({ error: 'userId needs a user id' }).min(1, { error: 'userId needs a user id' }).max(1024, { error: 'userId is too long' });

export const explainQuerySchema = z.object({ userId, asOf: instant.optional() });
export const explainBodySchema = z.strictObject({ definition: z.unknown(), userId, asOf: instant.optional() });
export const diffBodySchema = z.strictObject({ definition: z.unknown(), asOf: instant.optional() });

export interface ExplainedEvent {
  event: string;
  timestamp: string;
  properties: Record<string, unknown>;
}

export interface Explained {
  path: string;
  type: string;
  /** The rule's set membership after its negate, as the evaluation used it. */
  result: boolean;
  negate: boolean;
  /** Matching events (event rules: distinct days with `countBy: days`); periods with one (`regularly`). */
  count?: number;
  aggregate?: { fn: string; property: string; value: number | null };
  /** Up to 10 matching events: newest first (first_time: oldest first). */
  events?: ExplainedEvent[];
  /** Property rules: the user's value as of asOf, as text (null: not set). */
  value?: string | null;
  cohortId?: string;
  rules?: Explained[];
}

export interface Explanation {
  userId: string;
  asOf: string;
  member: boolean;
  rules: Explained[];
}

export interface CohortDiff {
  current: number;
  proposed: number;
  added: number;
  removed: number;
  sampleAdded: string[];
  sampleRemoved: string[];
  syncs: { syncId: string; destinationId: string; wouldAdd: number; wouldRemove: number }[];
  asOf: string;
}
