import { z } from 'zod';
import { roleSchema, type Role } from './principal.js';

/** Emails are compared and stored in lower case, so "A@x.io" and "a@x.io" are one account. */
export const emailSchema = z
  .string()
  .trim()
  .toLowerCase()
  .max(254, 'must be at most 254 characters')
  .pipe(z.email({ message: 'must be an email address' }));

export const accountNameSchema = z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters');

export const PASSWORD_MIN = 10;
export const PASSWORD_MAX = 200;
export const passwordSchema = z
  .string()
  .min(PASSWORD_MIN, `must be at least ${PASSWORD_MIN} characters`)
  .max(PASSWORD_MAX, `must be at most ${PASSWORD_MAX} characters`);

const nonEmpty = { message: 'nothing to change' };

/** `POST /v1/accounts`. */
export const createAccountSchema = z.strictObject({
  email: emailSchema,
  name: accountNameSchema,
  role: roleSchema,
  password: passwordSchema,
});
export type CreateAccountBody = z.infer<typeof createAccountSchema>;

/** `PATCH /v1/accounts/:id`. */
export const patchAccountSchema = z
  .strictObject({
    name: accountNameSchema.optional(),
    role: roleSchema.optional(),
    disabled: z.boolean().optional(),
    password: passwordSchema.optional(),
  })
  .refine((b) => Object.keys(b).length > 0, nonEmpty);
export type PatchAccountBody = z.infer<typeof patchAccountSchema>;

/** `PATCH /v1/me`: a new password needs the current one. */
export const patchMeSchema = z
  .strictObject({
    name: accountNameSchema.optional(),
    password: passwordSchema.optional(),
    currentPassword: z.string().min(1).max(PASSWORD_MAX).optional(),
  })
  .refine((b) => b.name !== undefined || b.password !== undefined, nonEmpty)
  .refine((b) => b.password === undefined || b.currentPassword !== undefined, {
    message: 'is required to change the password',
    path: ['currentPassword'],
  });
export type PatchMeBody = z.infer<typeof patchMeSchema>;

/**
 * `POST /v1/auth/login`. The email is not checked for shape: any unknown or
 * malformed email gets the same 401 as a wrong password.
 */
export const loginSchema = z.strictObject({
  email: z.string().trim().toLowerCase().min(1, 'must not be empty').max(254),
  password: z.string().min(1, 'must not be empty').max(PASSWORD_MAX),
});
export type LoginBody = z.infer<typeof loginSchema>;

/** `POST /v1/me/tokens`. */
export const createTokenSchema = z.strictObject({ name: z.string().trim().min(1, 'must not be empty').max(100) });

const instant = z.iso.datetime({ offset: true, message: 'must be an ISO-8601 date-time' });

/** `GET /v1/audit` query. `actor` is an account id, an email, or `admin_token`. */
export const auditQuerySchema = z.strictObject({
  actor: z.string().trim().min(1).max(254).optional(),
  resourceType: z.string().min(1).max(100).optional(),
  resourceId: z.string().min(1).max(200).optional(),
  action: z.string().min(1).max(100).optional(),
  from: instant.optional(),
  to: instant.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().regex(/^\d{1,18}$/, 'must be a cursor from a previous page').optional(),
});
export type AuditQuery = z.infer<typeof auditQuerySchema>;

/** An account as the API shows it: never a password hash. */
export interface Account {
  id: string;
  email: string;
  name: string;
  role: Role;
  disabled: boolean;
  createdAt: string;
  updatedAt: string;
  lastLoginAt: string | null;
}

/** A personal API token as listed (the secret itself is shown once, on creation). */
export interface ApiTokenInfo {
  id: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
}

export interface AuditEntry {
  id: string;
  at: string;
  actor: { accountId: string | null; email: string | null; via: 'admin_token' | 'session' | 'api_token' };
  action: string;
  resourceType: string;
  resourceId: string | null;
  summary: string;
}
