import { randomUUID } from 'node:crypto';
import { confirm, editor, input, select } from '@inquirer/prompts';
import { checkEmailAddress } from '../../platform/email-address';
import { SENT_STATUSES } from '../answers';
import { attachmentProblem, readAttachment } from '../attachment-files';
import { followMessage } from '../follow-message';
import { attemptLine } from '../message-lines';
import { HeraldRefusal } from '../problem';
import { type Interactive, say, sayProblem } from './screen';

const STEPS = ['to', 'name', 'subject', 'body', 'attachments', 'from', 'provider'] as const;
type Step = (typeof STEPS)[number];

interface Draft {
  to: string;
  name: string;
  subject: string;
  format: 'text' | 'html';
  body: string;
  attachments: string[];
  from: string | undefined;
  /** The From as the summary shows it (the account's address when there is no identity to pick). */
  fromLabel: string;
  provider: 'automatic' | 'sendgrid' | 'mailgun' | 'smtp';
  fallback: boolean;
}

// Which step asks for each field the server can name in a refusal.
const STEP_OF_FIELD: readonly (readonly [string, Step])[] = [
  ['to', 'to'],
  ['cc', 'to'],
  ['bcc', 'to'],
  ['metadata', 'name'],
  ['subject', 'subject'],
  ['text', 'body'],
  ['html', 'body'],
  ['attachments', 'attachments'],
  ['from', 'from'],
  ['provider', 'provider'],
  ['use_fallback', 'provider'],
];

function recipientProblem(value: string): string | true {
  const check = checkEmailAddress(value.trim());
  return check.ok || `Invalid email address: ${check.reason}`;
}

async function askBody(draft: Draft): Promise<void> {
  const previous = draft.body;
  draft.format = await select({
    message: 'Body format',
    choices: [
      { name: 'Plain text', value: 'text' as const },
      { name: 'HTML', value: 'html' as const },
    ],
    default: draft.format,
  });
  const how = await select({
    message: 'Body',
    choices: [
      ...(previous === '' ? [] : [{ name: `Keep the body written before (${previous.split('\n').length} lines)`, value: 'keep' as const }]),
      { name: 'Type it here (finish with a line holding only ".")', value: 'type' as const },
      { name: 'Open your editor ($VISUAL or $EDITOR)', value: 'editor' as const },
    ],
  });
  if (how === 'keep') return;
  if (how === 'editor') {
    draft.body = await editor({ message: 'Body', default: previous, postfix: draft.format === 'html' ? '.html' : '.txt', waitForUserInput: false });
    return;
  }
  say('  Type the body; a line holding only "." ends it.');
  const lines: string[] = [];
  for (;;) {
    const line = await input({ message: '', theme: { prefix: '  │' } });
    if (line === '.') break;
    lines.push(line);
  }
  draft.body = lines.join('\n');
}

async function askAttachments(draft: Draft): Promise<void> {
  if (draft.attachments.length > 0) say(`  Attached before: ${draft.attachments.join(', ')} (asked again)`);
  draft.attachments = [];
  for (;;) {
    const path = (
      await input({
        message: draft.attachments.length === 0 ? 'Attach a file (its path; Enter for none)' : 'Another file (Enter when done)',
        validate: async (value) => (value.trim() === '' ? true : ((await attachmentProblem(value.trim())) ?? true)),
      })
    ).trim();
    if (path === '') return;
    draft.attachments.push(path);
  }
}

async function askFrom(ui: Interactive, draft: Draft): Promise<void> {
  const identities = await ui.client.identities();
  if (identities === undefined) {
    // This Herald has no identities API: the account's own address is the only From.
    const me = await ui.client.me();
    draft.from = undefined;
    draft.fromLabel = me.email;
    say(`  From: ${me.email} (your account's address)`);
    return;
  }
  const usable = identities.filter((identity) => identity.verified);
  if (usable.length <= 1) {
    draft.from = usable[0]?.address;
    draft.fromLabel = usable[0]?.address ?? 'your account address';
    say(`  From: ${draft.fromLabel}`);
    return;
  }
  const fallback = usable.find((identity) => identity.is_default)?.address;
  draft.from = await select({
    message: 'From',
    choices: identities.map((identity) => ({
      name: `${identity.display_name !== null && identity.display_name !== undefined ? `${identity.display_name} <${identity.address}>` : identity.address}${identity.smtp ? ` (via ${identity.smtp.host})` : ''}${identity.is_default ? ' (default)' : ''}`,
      value: identity.address,
      disabled: identity.verified ? false : '(not verified)',
    })),
    default: draft.from ?? fallback,
  });
  draft.fromLabel = draft.from;
}

async function askProvider(draft: Draft): Promise<void> {
  draft.provider = await select({
    message: 'Provider',
    choices: [
      { name: 'Automatic (Herald picks, with fallback)', value: 'automatic' as const },
      { name: 'SendGrid', value: 'sendgrid' as const },
      { name: 'Mailgun', value: 'mailgun' as const },
      { name: 'SMTP', value: 'smtp' as const },
    ],
    default: draft.provider,
  });
  draft.fallback = draft.provider === 'automatic' ? true : await confirm({ message: 'If it fails, fall back to the other providers?', default: draft.fallback });
}

async function askStep(ui: Interactive, step: Step, draft: Draft): Promise<void> {
  switch (step) {
    case 'to':
      draft.to = (await input({ message: 'To (email address)', default: draft.to, prefill: 'editable', validate: recipientProblem })).trim();
      return;
    case 'name':
      draft.name = (await input({ message: 'Recipient name (optional)', default: draft.name, prefill: 'editable' })).trim();
      return;
    case 'subject':
      draft.subject = await input({ message: 'Subject', default: draft.subject, prefill: 'editable', required: true });
      return;
    case 'body':
      return askBody(draft);
    case 'attachments':
      return askAttachments(draft);
    case 'from':
      return askFrom(ui, draft);
    case 'provider':
      return askProvider(draft);
  }
}

function summary(draft: Draft): string[] {
  const lines = [
    `  To:        ${draft.name === '' ? draft.to : `${draft.name} <${draft.to}>`}`,
    `  From:      ${draft.fromLabel}`,
    `  Subject:   ${draft.subject}`,
    `  Body:      ${draft.format === 'html' ? 'HTML' : 'text'}, ${draft.body.split('\n').length} line(s), ${Buffer.byteLength(draft.body)} bytes`,
  ];
  if (draft.attachments.length > 0) lines.push(`  Attached:  ${draft.attachments.join(', ')}`);
  lines.push(`  Provider:  ${draft.provider}${draft.provider === 'automatic' ? '' : draft.fallback ? ', falling back to the others' : ', no fallback'}`);
  return lines;
}

async function requestOf(draft: Draft): Promise<Record<string, unknown>> {
  const body: Record<string, unknown> = { to: draft.to, subject: draft.subject, [draft.format]: draft.body };
  // Herald's recipients are bare addresses: the name travels as metadata, where the message detail shows it.
  if (draft.name !== '') body.metadata = { recipient_name: draft.name };
  if (draft.attachments.length > 0) body.attachments = await Promise.all(draft.attachments.map(readAttachment));
  if (draft.from !== undefined) body.from = draft.from;
  if (draft.provider !== 'automatic') {
    body.provider = draft.provider;
    body.use_fallback = draft.fallback;
  }
  return body;
}

/** Follows the accepted message, attempt by attempt, until it is final or Ctrl-C. */
async function follow(ui: Interactive, id: string): Promise<void> {
  const controller = new AbortController();
  const onInterrupt = () => controller.abort();
  process.once('SIGINT', onInterrupt);
  say('  Following it (Ctrl-C to stop following; it goes on in Herald):');
  try {
    const detail = await followMessage(
      ui.client,
      id,
      {
        onAttempt: (attempt) => say(`    ${attemptLine(attempt)}`),
        onStatus: (status) => say(`    status: ${status}`),
      },
      controller.signal,
    );
    if (detail === undefined) say('  Stopped following; My messages shows how it goes.');
    else if (SENT_STATUSES.has(detail.status)) say(`✔ Sent${detail.provider ? ` by ${detail.provider}` : ''}.`);
    else say(`✖ ${detail.status}${detail.error_message ? `: ${detail.error_message}` : ''}`);
  } finally {
    process.removeListener('SIGINT', onInterrupt);
  }
}

/**
 * The send form: every field, a summary to confirm, then the message followed live. A field the
 * server refuses is asked again with everything else kept. Ctrl-C at any prompt throws back to the menu.
 */
export async function sendForm(ui: Interactive): Promise<void> {
  const draft: Draft = { to: '', name: '', subject: '', format: 'text', body: '', attachments: [], from: undefined, fromLabel: '', provider: 'automatic', fallback: true };
  let ask: ReadonlySet<Step> = new Set(STEPS);
  // One key per draft: sending the same draft twice (a lost answer, say) is one message.
  let idempotencyKey = randomUUID();
  for (;;) {
    for (const step of STEPS) if (ask.has(step)) await askStep(ui, step, draft);
    if (ask.size > 0) idempotencyKey = randomUUID();
    say('');
    for (const line of summary(draft)) say(line);
    const choice = await select({
      message: 'Send it?',
      choices: [
        { name: 'Send', value: 'send' as const },
        { name: 'Change a field', value: 'change' as const },
        { name: 'Discard', value: 'discard' as const },
      ],
    });
    if (choice === 'discard') return;
    if (choice === 'change') {
      const step = await select({ message: 'Which field', choices: STEPS.map((value) => ({ name: value, value })) });
      ask = new Set([step]);
      continue;
    }
    let accepted;
    try {
      accepted = await ui.client.notify(await requestOf(draft), idempotencyKey);
    } catch (error) {
      if (!(error instanceof HeraldRefusal)) throw error;
      sayProblem(error);
      ask = new Set(STEP_OF_FIELD.filter(([field]) => error.concerns(field)).map(([, step]) => step));
      if (ask.size === 0 && error.problem.status === 403 && /verif/i.test(`${error.problem.title} ${error.problem.detail ?? ''}`)) {
        say('  Verify your address first: My profile takes the code from the verification mail.');
        return;
      }
      continue;
    }
    say(`✔ Accepted: ${accepted.id} (${accepted.status})`);
    await follow(ui, accepted.id);
    return;
  }
}
