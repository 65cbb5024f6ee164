import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { loginSchema } from '../schemas/accounts.js';
import { roleSchema } from '../schemas/principal.js';
import type { AccountService } from '../services/accounts/account-service.js';
import { invalidInput, ServiceError, zodIssues } from '../services/errors.js';
import { requestCredential, type Authenticator } from './auth.js';
import { accountSchema } from './openapi-responses.js';
import { errorResponses } from './openapi-shapes.js';
import { clearSessionCookies, CSRF_HEADER, setSessionCookies } from './session-cookies.js';
import { documented } from './route-validation.js';

const adminSignInSchema = z.strictObject({ adminToken: z.string().min(1, 'must not be empty').max(1000) });
const sessionBodySchema = z.union([loginSchema, adminSignInSchema]);

const browserSession = z.object({
  via: z.enum(['session', 'admin_token']).describe('how the browser signed in'),
  role: roleSchema,
  account: accountSchema.nullable().describe('null with the admin token'),
  expiresAt: z.string().describe('ISO time: when the session and its cookie expire (30 days)'),
});

const wrongAdminToken = () => new ServiceError(401, 'invalid_credentials', 'The admin token is not correct');

/**
 * Browser sign-in and sign-out with cookies (session-cookies.ts; docs/SECURITY.md).
 * API clients keep using `POST /v1/auth/login` (a token in the body) and Bearer.
 */
export function registerSessionRoutes(app: FastifyInstance, deps: { accounts: AccountService; auth: Authenticator }): void {
  const { accounts, auth } = deps;
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post('/v1/auth/session', {
    schema: {
      summary: 'Browser sign-in: sets the HttpOnly session cookie and the CSRF cookie',
      description: `Body: { email, password } or { adminToken }. Needs the ${CSRF_HEADER} header (any value) so no other site can sign a browser in. The session token is never in the body.`,
      tags: ['Accounts'],
      body: documented(sessionBodySchema),
      response: { 200: browserSession, ...errorResponses(400, 401, 403, 429) },
    },
  }, async (req, reply) => {
    // A form on another site cannot set a custom header (that needs a CORS preflight Kohort never grants).
    if (!req.headers[CSRF_HEADER]) throw new ServiceError(403, 'csrf_failed', `Browser sign-in needs the ${CSRF_HEADER} header`);
    const parsed = sessionBodySchema.safeParse(req.body ?? {});
    if (!parsed.success) throw invalidInput('Invalid sign-in', zodIssues(parsed.error.issues));
    const body = parsed.data;
    if ('adminToken' in body) {
      if (!auth.isAdminToken(body.adminToken)) throw wrongAdminToken();
      const s = await accounts.adminSession();
      setSessionCookies(req, reply, s.token, s.expiresAt);
      return { via: 'admin_token' as const, role: 'owner' as const, account: null, expiresAt: s.expiresAt.toISOString() };
    }
    const s = await accounts.login(body);
    setSessionCookies(req, reply, s.token, new Date(s.expiresAt));
    return { via: 'session' as const, role: s.account.role, account: s.account, expiresAt: s.expiresAt };
  });

  // Ends this session (cookie or bearer) on the server and clears the browser's cookies.
  app.post('/v1/auth/logout', { preHandler: auth.management() }, async (req, reply) => {
    await accounts.logout(req.principal, requestCredential(req) ?? '');
    clearSessionCookies(req, reply);
    return reply.status(204).send();
  });
}
