import { input, password } from '@inquirer/prompts';
import { type Interactive, say, showedRefusal } from './screen';

/** Username or email and a hidden password, asked again (the login kept) until Herald takes them; Ctrl-C throws back. */
export async function loginFlow(ui: Interactive): Promise<void> {
  let login = '';
  for (;;) {
    login = await input({ message: 'Username or email', default: login, prefill: 'editable', required: true });
    const secret = await password({ message: 'Password', mask: false, validate: (value) => value.length > 0 || 'Type your password' });
    try {
      await ui.session.adopt(await ui.client.login(login.trim(), secret));
    } catch (error) {
      if (showedRefusal(error)) continue;
      throw error;
    }
    const user = ui.session.user;
    say(`Logged in as ${user?.username ?? login}${user?.verified === false ? ' (email not verified yet: My profile takes the code)' : ''}.`);
    return;
  }
}
