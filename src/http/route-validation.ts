import type { FastifyInstance, FastifyReply, FastifyRequest, FastifySchema, RouteHandlerMethod } from 'fastify';
import type { z } from 'zod';
import { hasZodFastifySchemaValidationErrors, validatorCompiler } from 'fastify-type-provider-zod';
import { invalidInput, type FieldIssue } from '../services/errors.js';

const SERVICE_VALIDATED = new WeakSet<object>();

/**
 * A schema that documents a body or query the service itself validates with
 * the same zod schema (its messages name the resource: "Invalid sync"); the
 * route passes the input through unchanged. Typed as unknown, as it is then.
 */
export function documented(schema: z.ZodType): z.ZodType<unknown> {
  const copy = schema.clone();
  SERVICE_VALIDATED.add(copy);
  return copy as z.ZodType<unknown>;
}

const WHAT: Record<string, string> = { body: 'body', querystring: 'query', params: 'path parameters', headers: 'headers' };

/** A route-schema validation error as the contract's 400 `invalid_input` (fields named like the services name them). */
export function validationError(err: unknown) {
  if (!hasZodFastifySchemaValidationErrors(err)) return undefined;
  const context = (err as { validationContext?: string }).validationContext ?? 'body';
  const details: FieldIssue[] = err.validation.map((v) => ({
    field: v.instancePath.split('/').filter(Boolean).join('.') || `(${context === 'querystring' ? 'query' : context})`,
    message: v.message ?? 'invalid',
  }));
  return invalidInput(`Invalid ${WHAT[context] ?? context}`, details);
}

/**
 * Zod schemas on routes (`schema.params|querystring|body`) validate the
 * request and document it (openapi.ts). Two choices keep the API as it was:
 * - Validation errors are raised after the route's pre-handlers, so a caller
 *   without credentials gets 401 (not a description of the body it should send),
 *   and a missing role 403.
 * - Response schemas are documentation only: replies are serialized as they are,
 *   never stripped or refused by a schema.
 */
export function registerRouteValidation(app: FastifyInstance, table: Record<string, FastifySchema> = {}): void {
  app.setValidatorCompiler((req) => (SERVICE_VALIDATED.has(req.schema as object) ? (data: unknown) => ({ value: data }) : validatorCompiler(req as Parameters<typeof validatorCompiler>[0])));
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const listed = table[`${methods[0]} ${route.url}`];
    if (!route.schema && listed && methods.length === 1) route.schema = listed;
    // A route declaring its schema inline may leave its success answer to the table (documentation only).
    else if (route.schema && listed?.response && !route.schema.response && methods.length === 1) route.schema = { ...route.schema, response: listed.response };
    const s = route.schema as Record<string, unknown> | undefined;
    if (!s || !(s.body || s.querystring || s.params || s.headers)) return;
    route.attachValidation = true;
    const handler = route.handler as (this: FastifyInstance, req: FastifyRequest, reply: FastifyReply) => unknown;
    route.handler = function (this: FastifyInstance, req: FastifyRequest, reply: FastifyReply) {
      if (req.validationError) throw validationError(req.validationError) ?? req.validationError;
      return handler.call(this, req, reply);
    } as RouteHandlerMethod;
  });
}
