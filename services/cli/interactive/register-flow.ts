import { input, password } from '@inquirer/prompts';
import { checkEmailAddress } from '../../platform/email-address';
import { HeraldRefusal } from '../problem';
import { type Interactive, isBack, mailHint, say, sayProblem, showedRefusal } from './screen';

// The server's own rules (services/accounts/schema.ts, services/platform/email-address.ts), checked as you type.
const USERNAME = /^[a-z0-9][a-z0-9._-]{2,31}$/;

function usernameProblem(value: string): string | true {
  return USERNAME.test(value.trim().toLowerCase()) || 'Username: 3 to 32 of a-z, 0-9, ".", "_" or "-", starting with a letter or digit';
}

function emailProblem(value: string): string | true {
  const check = checkEmailAddress(value.trim());
  return check.ok || `Invalid email address: ${check.reason}`;
}

function passwordProblem(value: string): string | true {
  if (value.length < 8) return 'At least 8 characters';
  if (value.length > 128) return 'At most 128 characters';
  return true;
}

type Field = 'username' | 'email' | 'password';

/**
 * The register form: username, email, password twice; Herald's strength rule decides at the end,
 * and a refused field is asked again with the others kept. `self`: log in as the new user
 * (the first account); otherwise the caller stays logged in as who they are.
 */
export async function registerFlow(ui: Interactive, self: boolean): Promise<void> {
  const draft = { username: '', email: '', password: '' };
  let ask = new Set<Field>(['username', 'email', 'password']);
  for (;;) {
    if (ask.has('username')) draft.username = (await input({ message: 'Username', default: draft.username, prefill: 'editable', validate: usernameProblem })).trim().toLowerCase();
    if (ask.has('email')) draft.email = (await input({ message: 'Email address', default: draft.email, prefill: 'editable', validate: emailProblem })).trim();
    if (ask.has('password')) {
      for (;;) {
        draft.password = await password({ message: 'Password (8 or more characters, not easy to guess)', mask: false, validate: passwordProblem });
        const again = await password({ message: 'Password again', mask: false });
        if (again === draft.password) break;
        say('The two passwords differ; type them again.');
      }
    }
    try {
      const answer = await ui.client.register(draft, !self);
      if (self) await ui.session.adopt(answer);
      say(`Registered ${answer.user?.username ?? draft.username} <${draft.email}>${self ? ', and logged in' : ''}.`);
      break;
    } catch (error) {
      if (!(error instanceof HeraldRefusal)) throw error;
      sayProblem(error);
      const fields = (['username', 'email', 'password'] as const).filter((field) => error.concerns(field));
      // A 409 names no field: the username or the email is taken.
      ask = new Set(fields.length > 0 ? fields : error.problem.status === 409 ? ['username', 'email'] : ['username', 'email', 'password']);
    }
  }
  if (self) await verificationStep(ui, draft.email);
}

/** Asks for the code of the verification mail; Enter or Ctrl-C leaves it for later (My profile). */
export async function verificationStep(ui: Interactive, address: string): Promise<void> {
  for (const line of mailHint(ui.client.baseUrl, address)) say(line);
  for (;;) {
    let code: string;
    try {
      code = (await input({ message: 'Verification code (Enter to do it later from My profile)' })).trim();
    } catch (error) {
      if (isBack(error)) return;
      throw error;
    }
    if (code === '') return;
    try {
      await ui.client.verify(code);
      // A code verifies the account it was mailed for, whoever pastes it: make sure it was this one.
      const me = await ui.client.me();
      ui.session.user = me;
      if (me.verified) {
        say(`${address} is verified: you can send now.`);
        return;
      }
      say(`That code was for another account (it is verified now); paste the one mailed to ${address}.`);
    } catch (error) {
      if (!showedRefusal(error)) throw error;
    }
  }
}
