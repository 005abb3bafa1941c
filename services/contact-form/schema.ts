import { z } from 'zod';
import { bodyText, emailAddress, headerText } from '../platform/schema-helpers';

/** A filled honeypot: anything but an absent, null or blank value. */
export function isHoneypotFilled(value: unknown): boolean {
  if (value === undefined || value === null) return false;
  return typeof value !== 'string' || value.trim() !== '';
}

/** The public contact form. Unknown fields (a submit button's name, say) are ignored. */
export const contactRequestSchema = z.object({
  name: headerText(1, 200),
  email: emailAddress,
  message: bodyText(10000).pipe(z.string().trim().min(1, 'must not be empty')),
  /** Honeypot: hidden from people, so it stays empty; any value at all marks a bot. Only whether it was filled is kept. */
  website: z.unknown().optional().transform(isHoneypotFilled),
  /** Where an HTML form post is sent afterwards, when CONTACT_REDIRECT_ALLOWLIST allows it. */
  redirect: z.string().max(2048).optional(),
});
export type ContactRequest = z.infer<typeof contactRequestSchema>;
