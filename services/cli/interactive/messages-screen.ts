import { select } from '@inquirer/prompts';
import { detailLines, summaryLine } from '../message-lines';
import { type Interactive, isBack, say, showedRefusal } from './screen';

const CANCELLABLE = new Set(['pending', 'queued', 'scheduled']);
const RETRYABLE = new Set(['failed', 'bounced']);

async function messageScreen(ui: Interactive, id: string): Promise<void> {
  for (;;) {
    const detail = await ui.client.message(id);
    say('');
    for (const line of detailLines(detail)) say(`  ${line}`);
    const admin = ui.session.user?.role === 'admin';
    const action = await select({
      message: 'This message',
      choices: [
        { name: 'Refresh', value: 'refresh' as const },
        ...(CANCELLABLE.has(detail.status) ? [{ name: 'Cancel it', value: 'cancel' as const }] : []),
        ...(RETRYABLE.has(detail.status) && admin ? [{ name: 'Retry it', value: 'retry' as const }] : []),
        { name: 'Back', value: 'back' as const },
      ],
    });
    if (action === 'back') return;
    try {
      if (action === 'cancel') {
        await ui.client.cancel(id);
        say('Cancelled.');
      } else if (action === 'retry') {
        await ui.client.retry(id);
        say('Queued again.');
      }
    } catch (error) {
      if (!showedRefusal(error)) throw error;
    }
  }
}

/** The last 20 messages with their status; one picked shows its attempts and events, and what can be done. */
export async function messagesScreen(ui: Interactive): Promise<void> {
  for (;;) {
    const page = await ui.client.messages({ pageSize: 20 });
    if (page.results.length === 0) {
      say('No messages yet: Send an email from the menu.');
      return;
    }
    say(`    ${'status'.padEnd(10)} ${'to'.padEnd(28)} ${'subject'.padEnd(30)} created`);
    const id = await select({
      message: `Your messages (${page.count} in all; the last ${page.results.length})`,
      choices: [...page.results.map((message) => ({ name: summaryLine(message), value: message.id })), { name: 'Back', value: '' }],
      pageSize: 12,
    });
    if (id === '') return;
    try {
      await messageScreen(ui, id);
    } catch (error) {
      if (!isBack(error)) throw error;
    }
  }
}
