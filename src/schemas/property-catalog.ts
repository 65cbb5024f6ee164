import { z } from 'zod';

/**
 * `GET /v1/properties/values`: the most frequent values of an event property
 * (with `event`) or of a user trait (without), for the builder's suggestions.
 */
export const propertyValuesQuerySchema = z.object({
  event: z.string().min(1).max(200).optional(),
  property: z.string().min(1, { error: 'property needs a property name' }).max(300)
    .refine((p) => p.split('.').every((s) => s.length > 0), { message: 'property path has an empty segment' }),
  q: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(30),
});
export type PropertyValuesQuery = z.infer<typeof propertyValuesQuerySchema>;
