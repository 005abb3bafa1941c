import { select } from '@inquirer/prompts';
import { HeraldRefusal } from '../problem';
import { loginFlow } from './login-flow';
import { messagesScreen } from './messages-screen';
import { identitiesScreen, profileScreen } from './profile-screen';
import { registerFlow } from './register-flow';
import { type Interactive, isBack, say, sayProblem } from './screen';
import { sendForm } from './send-form';

type MenuChoice = 'send' | 'messages' | 'profile' | 'identities' | 'register' | 'logout' | 'quit';

/** Runs one menu entry; Ctrl-C in it, or a refusal nobody inside handled, comes back here. */
async function runEntry(ui: Interactive, entry: () => Promise<void>): Promise<void> {
  try {
    await entry();
  } catch (error) {
    if (isBack(error)) {
      say('  (back)');
      return;
    }
    if (!(error instanceof HeraldRefusal)) throw error;
    sayProblem(error);
    // A session the server no longer takes (expired and not renewable, revoked): log in again.
    if (error.problem.status === 401 && !ui.session.usesFixedToken) {
      await ui.session.logout(ui.client).catch(() => undefined);
      say('  Your session has ended: log in again.');
    }
  }
}

async function mainMenu(ui: Interactive): Promise<'logout' | 'quit'> {
  for (;;) {
    const who = ui.session.user?.username;
    let choice: MenuChoice;
    try {
      choice = await select<MenuChoice>({
        message: who === undefined ? 'Menu' : `Menu (${who})`,
        choices: [
          { name: 'Send an email', value: 'send' },
          { name: 'My messages', value: 'messages' },
          { name: 'My profile', value: 'profile' },
          { name: 'Sender identities', value: 'identities' },
          { name: 'Register another user', value: 'register' },
          ...(ui.session.usesFixedToken ? [] : [{ name: 'Log out', value: 'logout' as const }]),
          { name: 'Quit', value: 'quit' },
        ],
        pageSize: 10,
      });
    } catch (error) {
      if (isBack(error)) return 'quit';
      throw error;
    }
    switch (choice) {
      case 'send':
        await runEntry(ui, () => sendForm(ui));
        break;
      case 'messages':
        await runEntry(ui, () => messagesScreen(ui));
        break;
      case 'profile':
        await runEntry(ui, () => profileScreen(ui));
        break;
      case 'identities':
        await runEntry(ui, () => identitiesScreen(ui));
        break;
      case 'register':
        await runEntry(ui, () => registerFlow(ui, false));
        break;
      case 'logout':
        await ui.session.logout(ui.client);
        say('Logged out.');
        return 'logout';
      case 'quit':
        return 'quit';
    }
    if (!ui.session.loggedIn) return 'logout';
  }
}

/** The interactive mode of design/terminal.md; resolves with the exit code. */
export async function runInteractive(ui: Interactive): Promise<number> {
  const health = await ui.client.health();
  say(`Herald at ${ui.client.baseUrl} — ${health}`);
  if (!ui.session.loggedIn && (await ui.session.resume(ui.client))) say(`Logged in as ${ui.session.user?.username ?? '?'} (remembered session).`);
  for (;;) {
    if (!ui.session.loggedIn) {
      let choice: 'login' | 'register' | 'quit';
      try {
        choice = await select({
          message: 'What now',
          choices: [
            { name: 'Log in', value: 'login' as const },
            { name: 'Register', value: 'register' as const },
            { name: 'Quit', value: 'quit' as const },
          ],
        });
      } catch (error) {
        if (isBack(error)) return 0;
        throw error;
      }
      if (choice === 'quit') return 0;
      await runEntry(ui, () => (choice === 'login' ? loginFlow(ui) : registerFlow(ui, true)));
      continue;
    }
    if ((await mainMenu(ui)) === 'quit') return 0;
  }
}
