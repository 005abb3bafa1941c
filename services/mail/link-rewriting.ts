/**
 * Rewriting a mail's html for tracking (design/engagement.md): the http, https and mailto
 * targets of its `<a href>`s are found in order (their positions), replaced by redirect URLs,
 * and a 1×1 pixel is appended. Every other target (javascript:, data:, relative, anchors) is
 * left exactly as it was. Pure functions: the tokens come from the caller.
 */

const ANCHOR_TAG = /<a\b[^>]*>/gi;
// An href attribute inside one tag: preceded by whitespace, so data-href does not count.
const HREF_ATTRIBUTE = /(\shref\s*=\s*)("[^"]*"|'[^']*'|[^\s"'>=`]+)/i;
const TRACKABLE_SCHEMES = ['http:', 'https:', 'mailto:'];
// Browsers drop ASCII tabs and newlines anywhere in a URL and trim controls and spaces at its ends.
const URL_NOISE = /[\t\n\r]/g;
// eslint-disable-next-line no-control-regex -- as above
const URL_EDGES = /^[\u0000-\u0020]+|[\u0000-\u0020]+$/g;

const NAMED_ENTITIES: Readonly<Record<string, string>> = { amp: '&', quot: '"', apos: "'", lt: '<', gt: '>' };

/** The attribute value as the browser reads it: the common entities decoded. */
function decodeAttribute(value: string): string {
  return value.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, entity: string) => {
    if (entity.startsWith('#x') || entity.startsWith('#X')) return String.fromCodePoint(Number.parseInt(entity.slice(2), 16));
    if (entity.startsWith('#')) return String.fromCodePoint(Number.parseInt(entity.slice(1), 10));
    return NAMED_ENTITIES[entity.toLowerCase()] ?? whole;
  });
}

function unquoted(raw: string): string {
  const isQuoted = (raw.startsWith('"') && raw.endsWith('"')) || (raw.startsWith("'") && raw.endsWith("'"));
  return isQuoted ? raw.slice(1, -1) : raw;
}

/** The target of an href if it is one to track (http, https or mailto), else undefined. */
function trackableTarget(rawValue: string): string | undefined {
  const target = decodeAttribute(unquoted(rawValue)).replace(URL_NOISE, '').replace(URL_EDGES, '');
  const lower = target.toLowerCase();
  return TRACKABLE_SCHEMES.some((scheme) => lower.startsWith(scheme)) ? target : undefined;
}

/** A link to track: its place among the tracked links of the html, and where it goes. */
export interface TrackableLink {
  readonly position: number;
  readonly url: string;
}

/** Visits each tracked href in order; `replace` returns the new attribute value (or undefined to keep it). */
function eachTrackedHref(html: string, replace: (link: TrackableLink) => string | undefined): string {
  let position = 0;
  return html.replace(ANCHOR_TAG, (tag) =>
    tag.replace(HREF_ATTRIBUTE, (whole, prefix: string, rawValue: string) => {
      const url = trackableTarget(rawValue);
      if (url === undefined) return whole;
      const replacement = replace({ position, url });
      position += 1;
      return replacement === undefined ? whole : `${prefix}"${replacement}"`;
    }),
  );
}

/** The http, https and mailto links of the html, in document order. */
export function trackableLinks(html: string): TrackableLink[] {
  const links: TrackableLink[] = [];
  eachTrackedHref(html, (link) => {
    links.push(link);
    return undefined;
  });
  return links;
}

/** The html with each tracked link's href replaced by `hrefFor(position)` (kept when that is undefined). */
export function rewriteLinks(html: string, hrefFor: (position: number) => string | undefined): string {
  return eachTrackedHref(html, (link) => hrefFor(link.position));
}

/** The html with a 1×1 image appended before its last `</body>` (or at its end). */
export function appendPixel(html: string, src: string): string {
  const pixel = `<img src="${src}" width="1" height="1" alt="" style="display:block;width:1px;height:1px;border:0" />`;
  const close = html.toLowerCase().lastIndexOf('</body>');
  return close === -1 ? `${html}${pixel}` : `${html.slice(0, close)}${pixel}${html.slice(close)}`;
}

/** `{{unsubscribe_url}}` (spaces inside the braces allowed), as the stored bodies of marketing messages carry it. */
const UNSUBSCRIBE_PLACEHOLDER = /\{\{\s*unsubscribe_url\s*\}\}/g;

/** The literal a template renders `{{unsubscribe_url}}` as, replaced per message when the mail is composed. */
export const UNSUBSCRIBE_URL_PLACEHOLDER = '{{unsubscribe_url}}';

/** The body with every `{{unsubscribe_url}}` replaced by the message's unsubscribe URL. */
export function withUnsubscribeUrl(body: string, url: string): string {
  return body.replace(UNSUBSCRIBE_PLACEHOLDER, url);
}
