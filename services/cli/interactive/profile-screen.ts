import { input, select } from '@inquirer/prompts';
import type { Identity } from '../answers';
import { verificationStep } from './register-flow';
import { type Interactive, isBack, say, showedRefusal } from './screen';

type IdentityAction = { readonly action: 'check' | 'verify'; readonly identity: Identity };

function checkText(check: NonNullable<Identity['last_check']>): string {
  return check.ok ? 'ok' : `${check.error_class ?? 'failed'}${check.detail ? `: ${check.detail}` : ''}`;
}

function identityLine(identity: Identity): string {
  const name = identity.display_name !== null && identity.display_name !== undefined ? `${identity.display_name} <${identity.address}>` : identity.address;
  const route = identity.smtp ? `own SMTP ${identity.smtp.host}${identity.smtp.port === undefined ? '' : `:${identity.smtp.port}`}` : "Herald's providers";
  const checked = identity.last_check ? `; last check ${identity.last_check.at.slice(0, 16).replace('T', ' ')}: ${checkText(identity.last_check)}` : '';
  return `${name}  ${identity.verified ? 'verified' : 'not verified'}${identity.is_default ? ', default' : ''}, ${route}${checked}`;
}

/** The user's sender identities, and a connection check of those with their own SMTP server. */
export async function identitiesScreen(ui: Interactive): Promise<void> {
  for (;;) {
    const identities = await ui.client.identities();
    if (identities === undefined) {
      const me = await ui.client.me();
      say(`  This Herald has no sender identities yet: you send as ${me.email}.`);
      return;
    }
    say('  Sender identities:');
    for (const identity of identities) say(`    ${identityLine(identity)}`);
    const actions: { name: string; value: IdentityAction | undefined }[] = [
      ...identities.filter((identity) => identity.smtp).map((identity) => ({ name: `Check the connection of ${identity.address}`, value: { action: 'check' as const, identity } })),
      ...identities.filter((identity) => !identity.verified).map((identity) => ({ name: `Paste the code mailed to ${identity.address}`, value: { action: 'verify' as const, identity } })),
      { name: 'Back', value: undefined },
    ];
    const choice = await select({ message: 'Identities', choices: actions });
    if (choice === undefined) return;
    try {
      if (choice.action === 'check') {
        say(`  Connecting to ${choice.identity.smtp?.host ?? 'its server'} (up to 10 s)…`);
        const result = await ui.client.checkIdentity(choice.identity.id);
        say(result.ok ? '✔ Connected and logged in.' : `✖ ${result.error_class ?? 'failed'}${result.detail ? `: ${result.detail}` : ''}`);
      } else {
        const code = (await input({ message: `Code mailed to ${choice.identity.address}`, required: true })).trim();
        await ui.client.verifyIdentity(choice.identity.id, code);
        say(`✔ ${choice.identity.address} is verified: it can be the From of your mail.`);
      }
    } catch (error) {
      if (isBack(error)) continue;
      if (!showedRefusal(error)) throw error;
    }
  }
}

/** Username, email, verified or not (the code is pasted here), and the identities. */
export async function profileScreen(ui: Interactive): Promise<void> {
  for (;;) {
    const me = await ui.client.me();
    say('');
    say(`  Username:  ${me.username}`);
    say(`  Email:     ${me.email} (${me.verified ? 'verified' : 'not verified'})`);
    if (me.display_name) say(`  Name:      ${me.display_name}`);
    say(`  Role:      ${me.role}`);
    if (me.messages_sent_30d !== undefined) say(`  Sent:      ${me.messages_sent_30d} messages in 30 days`);
    const action = await select({
      message: 'My profile',
      choices: [
        ...(me.verified
          ? []
          : [
              { name: 'Paste the verification code', value: 'verify' as const },
              { name: 'Mail me a new code', value: 'resend' as const },
            ]),
        { name: 'Sender identities', value: 'identities' as const },
        { name: 'Back', value: 'back' as const },
      ],
    });
    try {
      if (action === 'back') return;
      if (action === 'verify') await verificationStep(ui, me.email);
      if (action === 'resend') {
        await ui.client.resendVerification();
        say(`  A new code is on its way to ${me.email}.`);
      }
      if (action === 'identities') await identitiesScreen(ui);
    } catch (error) {
      if (isBack(error)) continue;
      if (!showedRefusal(error)) throw error;
    }
  }
}
