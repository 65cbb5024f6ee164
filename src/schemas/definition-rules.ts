/**
 * The rules of the cohort definition language (event, sequence, first_time,
 * property, cohort, regularly, stopped, restarted, and groups of them), with
 * their TypeScript types. Re-exported by definition.ts, which the rest of the
 * code imports.
 */
import { z } from 'zod';
import { durationSchema, windowSchema } from './definition-time.js';
import { aggregateSchema, compareSchema, filterSchema, filterValueProblem, opSchema, propertyPathSchema, valueSchema } from './definition-filters.js';

export const MAX_RULES_PER_GROUP = 50;
/** `regularly` looks back at most this many periods (a year of weeks). */
export const MAX_PERIODS = 52;

const eventNameSchema = z.string({ error: 'event needs an event name' }).min(1, { error: 'event needs an event name' });
const whereSchema = z.array(filterSchema, { error: 'where needs a list of filters' });
const whereMatchSchema = z.enum(['all', 'any'], { error: 'whereMatch must be "all" or "any"' });
export const matchSchema = z.enum(['all', 'any'], { error: 'match must be "all" or "any"' });
const negateSchema = z.boolean({ error: 'negate must be true or false' }).optional();

export const stepSchema = z.strictObject({
  event: eventNameSchema,
  where: whereSchema.optional(),
  whereMatch: whereMatchSchema.optional(),
});

const eventRuleSchema = z.strictObject({
  type: z.literal('event'),
  event: eventNameSchema,
  where: whereSchema.optional(),
  whereMatch: whereMatchSchema.optional(),
  count: compareSchema.optional(),
  countBy: z.enum(['events', 'days'], { error: 'countBy must be "events" or "days"' }).optional(),
  aggregate: aggregateSchema.optional(),
  window: windowSchema.optional(),
  negate: negateSchema,
});

const sequenceRuleSchema = z.strictObject({
  type: z.literal('sequence'),
  steps: z
    .array(stepSchema, { error: 'steps needs a list of steps' })
    .min(2, { error: 'a sequence needs at least 2 steps' })
    .max(10, { error: 'a sequence has at most 10 steps' }),
  within: durationSchema.optional(),
  window: windowSchema.optional(),
  negate: negateSchema,
});

const firstTimeRuleSchema = z.strictObject({
  type: z.literal('first_time'),
  event: eventNameSchema,
  where: whereSchema.optional(),
  whereMatch: whereMatchSchema.optional(),
  window: windowSchema,
  negate: negateSchema,
});

const propertyRuleSchema = z
  .strictObject({
    type: z.literal('property'),
    property: propertyPathSchema,
    op: opSchema,
    value: z.union([valueSchema, z.array(valueSchema)]).optional(),
    negate: negateSchema,
  })
  .superRefine((f, ctx) => {
    const problem = filterValueProblem(f.op, f.value, f.value !== undefined);
    if (problem) ctx.addIssue({ code: 'custom', message: problem, path: ['value'] });
  });

const cohortRuleSchema = z.strictObject({
  type: z.literal('cohort'),
  cohortId: z.string({ error: 'cohortId needs a cohort id' }).min(1, { error: 'cohortId needs a cohort id' }),
  negate: negateSchema,
});

const regularlyRuleSchema = z
  .strictObject({
    type: z.literal('regularly'),
    event: eventNameSchema,
    where: whereSchema.optional(),
    whereMatch: whereMatchSchema.optional(),
    period: z.enum(['day', 'week', 'month'], { error: 'period must be one of day, week, month' }),
    periods: z
      .number({ error: 'periods needs a whole number' })
      .int({ error: 'periods needs a whole number' })
      .min(1, { error: 'periods must be at least 1' })
      .max(MAX_PERIODS, { error: `periods must be at most ${MAX_PERIODS}` }),
    atLeast: z
      .number({ error: 'atLeast needs a whole number' })
      .int({ error: 'atLeast needs a whole number' })
      .min(1, { error: 'atLeast must be at least 1' }),
    negate: negateSchema,
  })
  .refine((r) => r.atLeast <= r.periods, { message: 'atLeast cannot be more than periods', path: ['atLeast'] });

const stoppedRuleSchema = z.strictObject({
  type: z.literal('stopped'),
  event: eventNameSchema,
  where: whereSchema.optional(),
  whereMatch: whereMatchSchema.optional(),
  active: durationSchema,
  inactive: durationSchema,
  negate: negateSchema,
});

const restartedRuleSchema = z.strictObject({
  type: z.literal('restarted'),
  event: eventNameSchema,
  where: whereSchema.optional(),
  whereMatch: whereMatchSchema.optional(),
  inactive: durationSchema,
  returned: durationSchema,
  negate: negateSchema,
});

export const rulesArray = () =>
  z
    .array(ruleSchema, { error: 'rules needs a list of rules' })
    .min(1, { error: 'a group needs at least 1 rule' })
    .max(MAX_RULES_PER_GROUP, { error: `a group has at most ${MAX_RULES_PER_GROUP} rules` });

const groupRuleSchema = z.strictObject({
  type: z.literal('group'),
  match: matchSchema,
  get rules() {
    return rulesArray();
  },
  negate: negateSchema,
});

export const ruleSchema: z.ZodType<Rule> = z.discriminatedUnion(
  'type',
  [
    groupRuleSchema, eventRuleSchema, sequenceRuleSchema, firstTimeRuleSchema, propertyRuleSchema, cohortRuleSchema,
    regularlyRuleSchema, stoppedRuleSchema, restartedRuleSchema,
  ],
  { error: 'type must be one of group, event, sequence, first_time, property, cohort, regularly, stopped, restarted' },
) as unknown as z.ZodType<Rule>;

export type Step = z.infer<typeof stepSchema>;
export type EventRule = z.infer<typeof eventRuleSchema>;
export type SequenceRule = z.infer<typeof sequenceRuleSchema>;
export type FirstTimeRule = z.infer<typeof firstTimeRuleSchema>;
export type PropertyRule = z.infer<typeof propertyRuleSchema>;
export type CohortRule = z.infer<typeof cohortRuleSchema>;
export type RegularlyRule = z.infer<typeof regularlyRuleSchema>;
export type StoppedRule = z.infer<typeof stoppedRuleSchema>;
export type RestartedRule = z.infer<typeof restartedRuleSchema>;
/** Rules about when a user did an event over time (regularly, stopped, restarted). */
export type RecurrenceRule = RegularlyRule | StoppedRule | RestartedRule;
export interface GroupRule {
  type: 'group';
  match: 'all' | 'any';
  rules: Rule[];
  negate?: boolean;
}
export type Rule = GroupRule | EventRule | SequenceRule | FirstTimeRule | PropertyRule | CohortRule | RecurrenceRule;
