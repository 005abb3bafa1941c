import { EventEmitter, once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerError } from 'smtp-server';

export interface SinkEnvelope {
  readonly mailFrom: string | undefined;
  readonly rcptTo: readonly string[];
}

export interface SinkMessage {
  readonly envelope: SinkEnvelope;
  readonly parsed: ParsedMail;
  readonly raw: string;
  /** The user the client authenticated as, when it did. */
  readonly user: string | undefined;
}

export interface SmtpSinkOptions {
  /** When set, clients must log in with exactly these credentials; anything else gets 535. */
  readonly credentials?: { readonly user: string; readonly pass: string };
  /** A slow peer: how long it takes to answer each message's DATA (the message is recorded when answered). */
  readonly answerDelayMs?: number;
}

export interface SmtpSink {
  /** smtp://127.0.0.1:PORT, with the credentials in it when the sink requires them. */
  readonly url: string;
  readonly messages: readonly SinkMessage[];
  /** Resolves once `count` messages arrived; rejects after `timeoutMs`. */
  waitFor(count: number, timeoutMs?: number): Promise<readonly SinkMessage[]>;
  /** Rejects the next `count` RCPT TO commands with 550 (permanent) or 451 (transient). */
  rejectNextRecipients(count: number, code: 550 | 451): void;
  /**
   * Holds the next `count` messages after their data arrived, without answering the
   * DATA command, so a client stays in the middle of a send until `release()`.
   * Held messages are recorded only when released.
   */
  holdNext(count: number): void;
  /** Resolves once `count` messages are being held. */
  waitForHeld(count: number, timeoutMs?: number): Promise<void>;
  /** Answers every held message (250) and records it. */
  release(): void;
  close(): Promise<void>;
}

function replyError(code: number, message: string): SMTPServerError {
  const err: SMTPServerError = new Error(message);
  err.responseCode = code;
  return err;
}

/** A real SMTP server on 127.0.0.1 that stores and parses what it receives. */
export async function startSmtpSink(options: SmtpSinkOptions = {}): Promise<SmtpSink> {
  const messages: SinkMessage[] = [];
  const arrivals = new EventEmitter();
  const rejections: (550 | 451)[] = [];
  let toHold = 0;
  const held: (() => void)[] = [];
  const { credentials } = options;

  const server = new SMTPServer({
    secure: false,
    disabledCommands: credentials === undefined ? ['STARTTLS', 'AUTH'] : ['STARTTLS'],
    authOptional: credentials === undefined,
    allowInsecureAuth: true,
    logger: false,
    // Lets close() finish promptly when a client keeps a pooled connection open.
    closeTimeout: 100,
    onAuth(auth, _session, callback) {
      const valid = auth.username === credentials?.user && auth.password === credentials?.pass;
      if (!valid) return callback(replyError(535, 'Authentication credentials invalid'));
      callback(null, { user: auth.username });
    },
    onRcptTo(_address, _session, callback) {
      const code = rejections.shift();
      if (code === 550) return callback(replyError(550, '5.1.1 Mailbox does not exist'));
      if (code === 451) return callback(replyError(451, '4.3.0 Try again later'));
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const accept = () =>
          simpleParser(raw).then(
            (parsed) => {
              const { mailFrom, rcptTo } = session.envelope;
              messages.push({
                envelope: { mailFrom: mailFrom === false ? undefined : mailFrom.address, rcptTo: rcptTo.map((rcpt) => rcpt.address) },
                parsed,
                raw,
                user: typeof session.user === 'string' ? session.user : undefined,
              });
              arrivals.emit('message');
              callback();
            },
            (err: Error) => callback(err),
          );
        if (toHold > 0) {
          toHold -= 1;
          held.push(() => void accept());
          arrivals.emit('held');
          return;
        }
        if (options.answerDelayMs !== undefined) return void setTimeout(() => void accept(), options.answerDelayMs);
        void accept();
      });
    },
  });

  // A client killed mid-send resets its connection; that is the client's fault, not the peer's.
  server.on('error', () => undefined);
  server.listen(0, '127.0.0.1');
  await once(server.server, 'listening');
  const { port } = server.server.address() as AddressInfo;
  const auth = credentials === undefined ? '' : `${encodeURIComponent(credentials.user)}:${encodeURIComponent(credentials.pass)}@`;

  return {
    url: `smtp://${auth}127.0.0.1:${port}`,
    messages,
    waitFor(count, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (messages.length < count) return;
          clearTimeout(timer);
          arrivals.off('message', check);
          resolve(messages);
        };
        const timer = setTimeout(() => {
          arrivals.off('message', check);
          reject(new Error(`SMTP sink: ${messages.length} of ${count} messages after ${timeoutMs} ms`));
        }, timeoutMs);
        arrivals.on('message', check);
        check();
      });
    },
    holdNext(count) {
      toHold += count;
    },
    waitForHeld(count, timeoutMs = 10000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (held.length < count) return;
          clearTimeout(timer);
          arrivals.off('held', check);
          resolve();
        };
        const timer = setTimeout(() => {
          arrivals.off('held', check);
          reject(new Error(`SMTP sink: ${held.length} of ${count} messages held after ${timeoutMs} ms`));
        }, timeoutMs);
        arrivals.on('held', check);
        check();
      });
    },
    release() {
      for (const answer of held.splice(0)) answer();
    },
    rejectNextRecipients(count, code) {
      for (let i = 0; i < count; i += 1) rejections.push(code);
    },
    close() {
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
