import type { ContactService } from '../contacts/contact-service';
import { contactVariables } from '../contacts/contact-service';
import type { ContactRow } from '../contacts/tables';
import { UNSUBSCRIBE_URL_PLACEHOLDER } from '../mail/link-rewriting';
import type { ResolvedTemplate, TemplateService } from '../templates/template-service';
import type { NotifyRequest } from './schema';

/** A message's recipients and content, with the template and contact it came from. */
export interface Composed {
  readonly to: string[];
  readonly subject: string;
  readonly text: string | null;
  readonly html: string | null;
  readonly template?: { readonly id: string; readonly version: number };
  readonly contactId?: string;
}

const isRecord = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

/** The data a template renders with: the contact's fields under `contact.`, then the variables over them. */
export function templateData(variables: Record<string, unknown>, contact: ContactRow | undefined): Record<string, unknown> {
  if (contact === undefined) return variables;
  const given = variables.contact;
  return { ...variables, contact: { ...contactVariables(contact), ...(isRecord(given) ? given : {}) } };
}

/**
 * Composes a send that names a template or a contact: resolves the template (one read, the
 * compiled version cached), finds the contact, and renders. Raises NotFoundError for an
 * unknown template or contact and MissingVariablesError before anything is stored.
 */
export class TemplatedComposer {
  constructor(
    private readonly templates: TemplateService,
    private readonly contacts: ContactService,
  ) {}

  async compose(clientId: string, input: NotifyRequest, memo?: Map<string, Promise<unknown>>): Promise<Composed> {
    let contact = input.contact_id === undefined ? undefined : await this.contacts.findOwned(clientId, input.contact_id);
    const to = input.to ?? (contact === undefined ? [] : [contact.email]);
    if (input.template === undefined) {
      return { to, subject: input.subject ?? '', text: input.text ?? null, html: input.html ?? null, ...(contact === undefined ? {} : { contactId: contact.id }) };
    }
    const template = await this.resolve(clientId, input.template.name, input.template.version, memo);
    const [only] = to;
    if (contact === undefined && template.compiled.usesContact && to.length === 1 && only !== undefined) {
      contact = await this.contacts.findByEmail(clientId, only);
    }
    // Marketing mail gets {{unsubscribe_url}}: rendered as itself here, filled in per message when the worker composes the mail.
    const variables = input.category === 'marketing' ? { ...input.variables, unsubscribe_url: UNSUBSCRIBE_URL_PLACEHOLDER } : (input.variables ?? {});
    const rendered = this.templates.render(template, templateData(variables, contact));
    return {
      to,
      subject: rendered.subject,
      text: rendered.text,
      html: rendered.html,
      template: { id: template.templateId, version: template.version },
      ...(contact === undefined ? {} : { contactId: contact.id }),
    };
  }

  private resolve(clientId: string, name: string, version: number | undefined, memo?: Map<string, Promise<unknown>>): Promise<ResolvedTemplate> {
    if (memo === undefined) return this.templates.resolve(clientId, name, version);
    const key = `${name}@${version ?? ''}`;
    let pending = memo.get(key) as Promise<ResolvedTemplate> | undefined;
    if (pending === undefined) {
      pending = this.templates.resolve(clientId, name, version);
      // A failed lookup is reported by each item that awaits it; this copy must not go unhandled.
      pending.catch(() => undefined);
      memo.set(key, pending);
    }
    return pending;
  }
}
