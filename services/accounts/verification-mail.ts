import type { MessageAcceptance } from '../messages/acceptance';
import type { Config } from '../platform/config';
import type { UserRow } from './tables';

/** The client id of the messages Herald sends on its own behalf. */
export const SYSTEM_CLIENT_ID = 'system';

/** Composes the verification mail and accepts it as a `system` message: the worker delivers it like any other. */
export class VerificationMailer {
  constructor(
    private readonly acceptance: MessageAcceptance,
    private readonly config: Pick<Config, 'publicUrl'>,
  ) {}

  /** `code` is the verification secret; `tokenHash` (its digest) keys the message so a retry does not send it twice. */
  async send(user: Pick<UserRow, 'username' | 'email' | 'display_name'>, code: string, tokenHash: string, now: Date): Promise<void> {
    const link = `${this.config.publicUrl}/verify?token=${encodeURIComponent(code)}`;
    const name = user.display_name ?? user.username;
    const text = [
      `Hello ${name},`,
      '',
      'Confirm that this address is yours to start sending with Herald.',
      '',
      `Open this link and press the button: ${link}`,
      '',
      `Or paste this code: ${code}`,
      '',
      'The code works once, for 24 hours. If you did not create an account, ignore this mail.',
      '',
    ].join('\n');
    await sendSystemMail(this.acceptance, {
      key: `verify:${tokenHash}`,
      hash: tokenHash,
      to: user.email,
      subject: 'Confirm your email address for Herald',
      text,
      purpose: 'email-verification',
      now,
    });
  }
}

/** A mail Herald sends on its own behalf, accepted as a `system` message: the worker delivers it like any other. */
export async function sendSystemMail(
  acceptance: MessageAcceptance,
  mail: { readonly key: string; readonly hash: string; readonly to: string; readonly subject: string; readonly text: string; readonly purpose: string; readonly now: Date },
): Promise<void> {
  const outcome = await acceptance.acceptOne({
    draft: {
      kind: 'system',
      client_id: SYSTEM_CLIENT_ID,
      idempotency_key: mail.key,
      request_hash: mail.hash,
      to: [mail.to],
      subject: mail.subject,
      text_body: mail.text,
      html_body: null,
      metadata: JSON.stringify({ purpose: mail.purpose }),
      tags: ['verification'],
    },
    now: mail.now,
  });
  if (outcome.outcome !== 'accepted') throw new Error(`${mail.purpose} mail not accepted: ${outcome.outcome}`);
}
