import { z } from 'zod';

export const MAX_CSV_TRAITS = 100;

/**
 * `traits` of the members CSV (`GET /v1/cohorts/:id/members` with Accept:
 * text/csv): `all` for every trait key a member has, or trait keys separated
 * by commas, one column each in the order given (duplicates dropped).
 */
export const membersCsvQuerySchema = z.object({
  traits: z
    .string()
    .max(10_000, 'traits must be at most 10,000 characters')
    .optional()
    .transform((t, ctx): 'all' | string[] | undefined => {
      if (t === undefined) return undefined;
      if (t.trim() === 'all') return 'all';
      const keys = [...new Set(t.split(',').map((k) => k.trim()))];
      if (keys.some((k) => k === '')) {
        ctx.addIssue({ code: 'custom', message: 'traits must be "all" or trait keys separated by commas, none empty' });
        return z.NEVER;
      }
      if (keys.length > MAX_CSV_TRAITS) {
        ctx.addIssue({ code: 'custom', message: `at most ${MAX_CSV_TRAITS} traits` });
        return z.NEVER;
      }
      if (keys.some((k) => k.length > 200)) {
        ctx.addIssue({ code: 'custom', message: 'a trait key must be at most 200 characters' });
        return z.NEVER;
      }
      return keys;
    })
    .describe('CSV only: "all" or trait keys separated by commas (e.g. email,plan); one column per trait after user_id'),
});
