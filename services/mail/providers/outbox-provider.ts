import { randomUUID } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import MailComposer from 'nodemailer/lib/mail-composer';
import type { OutgoingMail } from '../outgoing-mail';
import { toNodemailerMessage } from './nodemailer-message';
import { ProviderError, type MailProvider, type SendResult } from './mail-provider';

/** `<row-id@domain>` → `row-id`, reduced to characters that are safe in any file name. */
export function outboxFileName(messageId: string): string {
  const localPart = messageId.replace(/^</, '').split('@')[0] ?? '';
  const safe = localPart.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 200);
  const usable = safe !== '' && !safe.startsWith('.');
  return `${usable ? safe : randomUUID()}.eml`;
}

/**
 * Writes each message as an RFC 822 `.eml` file under OUTBOX_DIR instead of sending it, so a
 * fresh install works without credentials. A resend of the same row overwrites its file.
 */
export class OutboxProvider implements MailProvider {
  readonly name = 'outbox' as const;

  constructor(private readonly directory: string) {}

  async send(mail: OutgoingMail): Promise<SendResult> {
    try {
      const raw = await this.#build(mail);
      await mkdir(this.directory, { recursive: true });
      const target = path.join(this.directory, outboxFileName(mail.messageId));
      // Write then rename, so whoever watches the directory never reads a half-written file.
      const partial = `${target}.${randomUUID()}.tmp`;
      try {
        await writeFile(partial, raw, { mode: 0o600 });
        await rename(partial, target);
      } finally {
        await rm(partial, { force: true });
      }
      return { providerMessageId: mail.messageId };
    } catch (err) {
      // A full disk or a missing permission is the host's problem, not the message's.
      const code = err instanceof Error && 'code' in err && typeof err.code === 'string' ? `${err.code} ` : '';
      throw new ProviderError(this.name, 'transient', `outbox write failed: ${code}${err instanceof Error ? err.message : String(err)}`);
    }
  }

  async close(): Promise<void> {}

  async #build(mail: OutgoingMail): Promise<Buffer> {
    const node = new MailComposer(toNodemailerMessage(mail)).compile();
    // The file stands for the whole send, so keep Bcc visible to whoever inspects it.
    node.keepBcc = true;
    return node.build();
  }
}
