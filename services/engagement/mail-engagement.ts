import type { MessageToSend } from '../lifecycle/send-columns';
import { appendPixel, rewriteLinks, trackableLinks, withUnsubscribeUrl } from '../mail/link-rewriting';
import type { OutgoingMail } from '../mail/outgoing-mail';
import type { Config } from '../platform/config';
import { linkKey, type TrackedLinkStore, type WantedLink } from './tracked-link-store';

export type MailEngagementConfig = Pick<Config, 'engagement' | 'contactInbox'>;

/** The redirect, pixel and unsubscribe URLs under PUBLIC_URL. */
export const engagementUrls = (publicUrl: string) => ({
  click: (token: string) => `${publicUrl}/t/c/${token}`,
  pixel: (token: string) => `${publicUrl}/t/o/${token}.gif`,
  unsubscribe: (token: string) => `${publicUrl}/u/${token}`,
});

/**
 * What the worker adds to a composed mail (design/engagement.md): tracked links and the open
 * pixel when the message asked for them, and for marketing mail its List-Unsubscribe headers
 * (RFC 8058 one-click) and `{{unsubscribe_url}}` filled in. A message with none of these costs
 * nothing; one with them costs one statement shared with the deliveries composed at the same time.
 */
export class MailEngagement {
  constructor(
    private readonly store: TrackedLinkStore,
    private readonly config: MailEngagementConfig,
  ) {}

  async apply(message: Pick<MessageToSend, 'id' | 'kind' | 'category' | 'track_opens' | 'track_clicks'>, mail: OutgoingMail): Promise<OutgoingMail> {
    const { publicUrl } = this.config.engagement;
    const isMarketing = message.category === 'marketing' && message.kind !== 'contact';
    const html = mail.html;
    const tracksOpens = message.track_opens === true && html !== undefined;
    const tracksClicks = message.track_clicks === true && html !== undefined;
    // Accept refuses these without PUBLIC_URL; a row from before it was unset is sent as it is.
    if ((!isMarketing && !tracksOpens && !tracksClicks) || publicUrl === undefined) return mail;
    const urls = engagementUrls(publicUrl);
    const links = tracksClicks && html !== undefined ? trackableLinks(html) : [];
    const wanted: WantedLink[] = [
      ...links.map((link): WantedLink => ({ kind: 'click', position: link.position, url: link.url })),
      ...(tracksOpens ? [{ kind: 'open' as const, position: 0, url: null }] : []),
      ...(isMarketing ? [{ kind: 'unsubscribe' as const, position: 0, url: null }] : []),
    ];
    const tokens = await this.store.tokensFor(message.id, wanted);
    const tokenOf = (kind: WantedLink['kind'], position = 0) => tokens.get(linkKey(kind, position));

    let newHtml = html;
    let text = mail.text;
    if (newHtml !== undefined && tracksClicks) {
      newHtml = rewriteLinks(newHtml, (position) => {
        const token = tokenOf('click', position);
        return token === undefined ? undefined : urls.click(token);
      });
    }
    const openToken = tokenOf('open');
    if (newHtml !== undefined && openToken !== undefined) newHtml = appendPixel(newHtml, urls.pixel(openToken));
    const unsubscribeToken = isMarketing ? tokenOf('unsubscribe') : undefined;
    let headers = mail.headers;
    if (unsubscribeToken !== undefined) {
      const unsubscribeUrl = urls.unsubscribe(unsubscribeToken);
      if (newHtml !== undefined) newHtml = withUnsubscribeUrl(newHtml, unsubscribeUrl);
      if (text !== undefined) text = withUnsubscribeUrl(text, unsubscribeUrl);
      headers = {
        ...headers,
        'List-Unsubscribe': `<${unsubscribeUrl}>, <mailto:${this.config.contactInbox}?subject=unsubscribe%20${unsubscribeToken}>`,
        'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
      };
    }
    return {
      ...mail,
      ...(newHtml === undefined ? {} : { html: newHtml }),
      ...(text === undefined ? {} : { text }),
      ...(headers === undefined ? {} : { headers }),
    };
  }
}
