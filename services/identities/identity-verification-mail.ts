import { sendSystemMail } from '../accounts/verification-mail';
import type { MessageAcceptance } from '../messages/acceptance';

/** Mails the code that proves an identity's address is the user's, as a `system` message through the pipeline. */
export class IdentityVerificationMailer {
  constructor(private readonly acceptance: MessageAcceptance) {}

  /** `codeHash` (the code's digest) keys the message so a retry does not send it twice. */
  async send(identity: { readonly address: string }, ownerName: string, code: string, codeHash: string, now: Date): Promise<void> {
    const text = [
      'Hello,',
      '',
      `${ownerName} asked to send mail as ${identity.address} with Herald.`,
      '',
      `If that is you, paste this code: ${code}`,
      '',
      'The code works once, for 24 hours. If you did not ask for this, ignore this mail: nothing is sent as this address without it.',
      '',
    ].join('\n');
    await sendSystemMail(this.acceptance, {
      key: `identity-verify:${codeHash}`,
      hash: codeHash,
      to: identity.address,
      subject: 'Confirm this address for Herald',
      text,
      purpose: 'identity-verification',
      now,
    });
  }
}
