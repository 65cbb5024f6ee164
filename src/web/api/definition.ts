/**
 * Cohort definitions: the shared zod schema and its types (src/schemas/definition.ts),
 * re-exported so the web app has one import point.
 */
export {
  definitionSchema,
  MAX_PERIODS,
  type Aggregate,
  type CmpOp,
  type CohortRule,
  type Compare,
  type Definition,
  type Duration,
  type EventRule,
  type Filter,
  type FirstTimeRule,
  type GroupRule,
  type Op,
  type PropertyRule,
  type RecurrenceRule,
  type RegularlyRule,
  type RestartedRule,
  type StoppedRule,
  type Rule,
  type SequenceRule,
  type Step,
  type Unit,
  type Value,
  type Window,
} from '../../schemas/definition';

export type Match = 'all' | 'any';
