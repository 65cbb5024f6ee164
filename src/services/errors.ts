/**
 * Typed errors services throw; the HTTP layer maps each to the contract's
 * error shape and status in one place (http/errors.ts).
 */
export class ServiceError extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 409 | 413 | 415 | 422 | 429 | 503,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export const invalidInput = (message: string, details?: unknown) => new ServiceError(400, 'invalid_input', message, details);
export const unauthorized = (message = 'Missing or invalid credentials') => new ServiceError(401, 'unauthorized', message);
export const forbidden = (message: string) => new ServiceError(403, 'forbidden', message);
export const notFound = (what: string, id: string) => new ServiceError(404, 'not_found', `${what} ${JSON.stringify(id)} does not exist`);
export const conflict = (code: string, message: string, details?: unknown) => new ServiceError(409, code, message, details);
export const tooLarge = (message: string, details?: unknown) => new ServiceError(413, 'payload_too_large', message, details);

/** One field-level problem, as listed in `details` of a 400. */
export interface FieldIssue {
  index?: number;
  field: string;
  message: string;
}

/** Turns zod issues into field issues ("properties.price: expected number"). */
export function zodIssues(issues: readonly { path: readonly PropertyKey[]; message: string }[], index?: number): FieldIssue[] {
  return issues.map((i) => ({
    ...(index === undefined ? {} : { index }),
    field: i.path.map(String).join('.') || '(body)',
    message: i.message,
  }));
}

/** Anything with zod's `safeParse`. */
export type InputSchema<T> = { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } } };

/** Validates an API body or query at the service edge: 400 `invalid_input` naming each field. */
export function parseInput<T>(schema: InputSchema<T>, v: unknown, what: string): T {
  const r = schema.safeParse(v ?? {});
  if (!r.success) throw invalidInput(`Invalid ${what}`, zodIssues(r.error.issues));
  return r.data;
}
