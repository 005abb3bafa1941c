import type { Principal } from '../auth/scopes';
import type { MessageKind } from '../domain/message-kinds';
import { NotFoundError } from '../domain/errors';
import { type ListQuery, type Page, listFilterFor, toPage } from './pagination';
import type { MessageRepository } from './repository';
import type { MessageRow } from './tables';
import { type EventView, type MessageDetail, type MessageView, toAttemptView, toEventView, visibleClient } from './views';

const NOT_FOUND: Readonly<Record<MessageKind, string>> = {
  contact: 'No contact message with this id.',
  notification: 'No notification with this id.',
  system: 'No message with this id.',
};

/** Reads messages of one kind back for their owner (or an admin): a page, one detail, its events. */
export class MessageReader<View extends MessageView> {
  constructor(
    private readonly repository: MessageRepository,
    private readonly kind: MessageKind,
    private readonly toView: (row: MessageRow) => View,
  ) {}

  private async owned(principal: Principal, id: string): Promise<MessageRow> {
    const row = await this.repository.findById(this.kind, id, visibleClient(principal));
    if (row === undefined) throw new NotFoundError(NOT_FOUND[this.kind]);
    return row;
  }

  async get(principal: Principal, id: string): Promise<MessageDetail<View>> {
    const row = await this.owned(principal, id);
    const [attempts, events, attachments] = await Promise.all([
      this.repository.attempts(id),
      this.repository.events(id),
      row.attachment_count > 0 ? this.repository.attachments(id) : [],
    ]);
    return { ...this.toView(row), attachments, attempts: attempts.map(toAttemptView), events: events.map(toEventView) };
  }

  /** File number `position` (from 0) of a message the caller may read. */
  async attachment(principal: Principal, id: string, position: number): Promise<{ filename: string; content_type: string; content: Buffer }> {
    await this.owned(principal, id);
    const file = await this.repository.attachment(id, position);
    if (file === undefined) throw new NotFoundError('No attachment with this number.');
    return file;
  }

  async events(principal: Principal, id: string): Promise<{ results: EventView[] }> {
    await this.owned(principal, id);
    return { results: (await this.repository.events(id)).map(toEventView) };
  }

  async list(principal: Principal, path: string, query: ListQuery): Promise<Page<View>> {
    const { count, rows } = await this.repository.list({ kind: this.kind, ...listFilterFor(principal, query) });
    return toPage(path, query, count, rows.map(this.toView));
  }
}
