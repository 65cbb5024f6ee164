import { z } from 'zod';
import { SECRET_MASK, webhookConfigSchema } from './destination.js';

/**
 * Workflow steps, cards and step actions (docs/TEAMS.md, "Workflow steps and
 * the board"): API bodies and queries, and the shapes the routes answer with.
 */
export const MAX_STEPS = 20;
export const MAX_STEP_NAME = 80;
const MAX_VALUE_CHARS = 8_192;

const id = z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters');

/** A webhook secret given by the user, or the mask (keep the stored one). */
const webhookSecret = z.union([z.literal(SECRET_MASK), webhookConfigSchema.shape.secret.unwrap()]);

export const actionSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('webhook'), url: webhookConfigSchema.shape.url, secret: webhookSecret.optional() }),
  z.strictObject({
    type: z.literal('set_property'),
    key: z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters'),
    // Traits are small: the same bound as one ingested event's size keeps profiles readable.
    value: z.json().refine((v) => JSON.stringify(v).length <= MAX_VALUE_CHARS, { message: `must be at most ${MAX_VALUE_CHARS} characters as JSON` }),
  }),
  z.strictObject({ type: z.literal('add_to_cohort'), cohortId: id }),
  z.strictObject({ type: z.literal('run_sync'), syncId: id }),
]);
export type ActionInput = z.infer<typeof actionSchema>;
export type ActionType = ActionInput['type'];

/** An action as stored: a webhook always has its secret (generated when not given). */
export type Action =
  | { type: 'webhook'; url: string; secret: string }
  | Exclude<ActionInput, { type: 'webhook' | 'add_to_cohort' | 'run_sync' }>
  // savedBy: who chose the target (account id or "admin_token"); checked again at every run.
  | (Extract<ActionInput, { type: 'add_to_cohort' }> & { savedBy?: string })
  | (Extract<ActionInput, { type: 'run_sync' }> & { savedBy?: string });

export const stepInputSchema = z.strictObject({
  id: id.optional(),
  name: z.string().trim().min(1, 'name must not be empty').max(MAX_STEP_NAME, `name must be at most ${MAX_STEP_NAME} characters`),
  action: actionSchema.nullable().optional(),
});
export type StepInput = z.infer<typeof stepInputSchema>;

export const putStepsBodySchema = z
  .strictObject({ steps: z.array(stepInputSchema).max(MAX_STEPS, `at most ${MAX_STEPS} steps`) })
  .superRefine((b, ctx) => {
    // Names are compared without case so two columns never look alike on the board.
    const names = new Map<string, number>();
    const ids = new Map<string, number>();
    b.steps.forEach((s, i) => {
      const n = s.name.toLowerCase();
      if (names.has(n)) ctx.addIssue({ code: 'custom', path: ['steps', i, 'name'], message: `step name "${s.name}" is used twice (also step ${names.get(n)! + 1})` });
      else names.set(n, i);
      if (s.id === undefined) return;
      if (ids.has(s.id)) ctx.addIssue({ code: 'custom', path: ['steps', i, 'id'], message: `step id "${s.id}" is listed twice` });
      else ids.set(s.id, i);
    });
  });
export type PutStepsBody = z.infer<typeof putStepsBodySchema>;

export const moveCardBodySchema = z.strictObject({ stepId: id });

const limit = (max: number, dflt: number) => z.coerce.number().int().min(1).max(max).default(dflt);
const cursor = z.string().max(2000).optional();

export const boardQuerySchema = z.object({
  stepId: id.optional(),
  /** Keeps user ids containing this text, in any case. */
  q: z.string().trim().min(1).max(200).optional(),
  limit: limit(1000, 200),
  cursor,
});
export type BoardQuery = z.infer<typeof boardQuerySchema>;

export const actionsQuerySchema = z.object({
  userId: z.string().min(1).max(1024).optional(),
  stepId: id.optional(),
  limit: limit(200, 50),
  cursor,
});
export type ActionsQuery = z.infer<typeof actionsQuerySchema>;

/** A step as the API shows it (webhook secrets masked). */
export interface Step {
  id: string;
  name: string;
  position: number;
  action: Action | null;
  cardCount: number;
}

export interface Card {
  userId: string;
  stepId: string;
  movedAt: string;
  /** Account id of who moved it, "admin_token" for the bootstrap token, null when placed on entering the cohort. */
  movedBy: string | null;
}

export const EXECUTION_STATUSES = ['pending', 'running', 'succeeded', 'failed'] as const;
export type ExecutionStatus = (typeof EXECUTION_STATUSES)[number];

/** One try of an execution, kept so the log shows every attempt, not only the last error. */
export interface AttemptEntry {
  at: string;
  ok: boolean;
  error: string | null;
}

export interface ActionExecution {
  id: string;
  cohortId: string;
  stepId: string;
  stepName: string;
  userId: string;
  type: ActionType;
  status: ExecutionStatus;
  attempts: number;
  lastError: string | null;
  createdAt: string;
  finishedAt: string | null;
  nextAttemptAt: string | null;
  attemptLog: AttemptEntry[];
}

/** Replaces a webhook secret with the mask; never mutates its argument. */
export function maskAction(a: Action | null): Action | null {
  if (a?.type === 'add_to_cohort' || a?.type === 'run_sync') {
    const { savedBy: _internal, ...shown } = a;
    return shown;
  }
  if (a?.type !== 'webhook') return a;
  return { ...a, secret: SECRET_MASK };
}
