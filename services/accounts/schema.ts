import { z } from 'zod';
import { identityViewSchema } from '../identities/schema';
import { emailAddress, headerText } from '../platform/schema-helpers';
import { MAX_PASSWORD_LENGTH } from './password-policy';
import { USER_ROLES } from './tables';

const username = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9][a-z0-9._-]{2,31}$/, 'must be 3 to 32 of a-z, 0-9, ".", "_" or "-", starting with a letter or digit');
// The length rule with its message lives in the policy; this only bounds what is hashed.
const password = z.string().min(1, 'is required').max(MAX_PASSWORD_LENGTH * 4, `must be at most ${MAX_PASSWORD_LENGTH} characters`);
const displayName = headerText(1, 100);

export const registerRequestSchema = z.strictObject({
  username,
  email: emailAddress,
  password,
  display_name: displayName.optional(),
});
export type RegisterRequest = z.infer<typeof registerRequestSchema>;

export const loginRequestSchema = z.strictObject({
  login: z.string().trim().min(1).max(320).meta({ description: 'Username or email address.' }),
  password: z.string().min(1).max(MAX_PASSWORD_LENGTH * 4),
  cookie: z.boolean().optional().meta({
    description: 'true: the refresh token is set as an HttpOnly, SameSite=Strict cookie limited to /api/auth and left out of the body (the console).',
  }),
});
export type LoginRequest = z.infer<typeof loginRequestSchema>;

export const refreshRequestSchema = z.strictObject({
  refresh_token: z.string().min(1).max(200).optional().meta({ description: 'Required unless the session cookie of a `cookie: true` login is sent (then Origin must be this API).' }),
});

export const verifyRequestSchema = z.strictObject({
  token: z.string().trim().min(1).max(200).meta({ description: 'The code from the verification mail, or the token of its link.' }),
});

export const patchMeRequestSchema = z
  .strictObject({
    display_name: displayName.nullable().optional(),
    password: password.optional(),
    current_password: z.string().max(MAX_PASSWORD_LENGTH * 4).optional(),
  })
  .refine((body) => body.password === undefined || body.current_password !== undefined, {
    path: ['current_password'],
    message: 'is required to change the password',
  });
export type PatchMeRequest = z.infer<typeof patchMeRequestSchema>;

export const adminCreateUserSchema = registerRequestSchema.extend({
  role: z.enum(USER_ROLES).default('user'),
  verified: z.boolean().default(false),
});
export type AdminCreateUser = z.infer<typeof adminCreateUserSchema>;

export const adminPatchUserSchema = z.strictObject({
  display_name: displayName.nullable().optional(),
  role: z.enum(USER_ROLES).optional(),
  disabled: z.boolean().optional(),
  verified: z.boolean().optional(),
  password: password.optional(),
});
export type AdminPatchUser = z.infer<typeof adminPatchUserSchema>;

export const userViewSchema = z.object({
  id: z.string().uuid(),
  username: z.string(),
  email: z.string(),
  display_name: z.string().nullable(),
  role: z.enum(USER_ROLES),
  verified: z.boolean(),
  disabled: z.boolean(),
  created_at: z.string(),
  last_login_at: z.string().nullable(),
});
export type UserView = z.infer<typeof userViewSchema>;


export const profileViewSchema = userViewSchema.extend({
  identities: z.array(identityViewSchema),
  messages_sent_30d: z.number().int(),
});
export type ProfileView = z.infer<typeof profileViewSchema>;

export const tokenPairSchema = z.object({
  access_token: z.string(),
  token_type: z.literal('Bearer'),
  expires_in: z.number().int(),
  refresh_token: z.string().optional().meta({ description: 'Absent when the session is kept in the cookie.' }),
});
/** What the service makes: always with the refresh token (the route may move it into the cookie). */
export type TokenPair = z.infer<typeof tokenPairSchema> & { refresh_token: string };

export const sessionResponseSchema = tokenPairSchema.extend({ user: userViewSchema });
export type SessionResponse = z.infer<typeof sessionResponseSchema> & { refresh_token: string };

export const userPageSchema = z.object({
  count: z.number().int(),
  next: z.string().nullable(),
  previous: z.string().nullable(),
  results: z.array(userViewSchema),
});
