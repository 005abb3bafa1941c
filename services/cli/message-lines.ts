import type { Attempt, MessageDetail, MessageEvent, MessageSummary } from './answers';

function when(iso: string | null | undefined): string {
  if (iso === null || iso === undefined) return '';
  return iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

function cut(text: string, width: number): string {
  return (text.length > width ? `${text.slice(0, width - 1)}…` : text).padEnd(width);
}

/** One delivery attempt on a line: "attempt 1  smtp  sent  42 ms", with the error when there is one. */
export function attemptLine(attempt: Attempt): string {
  const error = attempt.error === null ? '' : `  ${attempt.error}`;
  return `attempt ${attempt.attempt}  ${attempt.provider}  ${attempt.outcome}  ${attempt.duration_ms} ms${error}`;
}

export function eventLine(event: MessageEvent): string {
  const data = Object.keys(event.data).length === 0 ? '' : `  ${JSON.stringify(event.data)}`;
  return `${when(event.at)}  ${event.type}${data}`;
}

/** A message in a list: status, recipients, subject, when. */
export function summaryLine(message: MessageSummary): string {
  return `${message.status.padEnd(10)} ${cut(message.to.join(', '), 28)} ${cut(message.subject, 30)} ${when(message.created_at).slice(0, 16)}`;
}

/** The detail of a message as lines: its fields, attempts and events. */
export function detailLines(message: MessageDetail): string[] {
  const lines = [
    `id:       ${message.id}`,
    `status:   ${message.status}${message.error_message !== null && message.error_message !== undefined ? ` (${message.error_message})` : ''}`,
    `to:       ${message.to.join(', ')}`,
    `subject:  ${message.subject}`,
    `created:  ${when(message.created_at)}`,
  ];
  if (message.sent_at !== null && message.sent_at !== undefined) lines.push(`sent:     ${when(message.sent_at)}${message.provider !== null && message.provider !== undefined ? ` by ${message.provider}` : ''}`);
  for (const file of message.attachments) lines.push(`attached: ${file.filename}${file.size === undefined ? '' : ` (${file.size} bytes)`}`);
  lines.push(message.attempts.length === 0 ? 'attempts: none yet' : 'attempts:');
  for (const attempt of message.attempts) lines.push(`  ${attemptLine(attempt)}`);
  lines.push(message.events.length === 0 ? 'events:   none' : 'events:');
  for (const event of message.events) lines.push(`  ${eventLine(event)}`);
  return lines;
}
