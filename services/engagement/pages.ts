import { escapeHtml } from '../platform/escape-html';

/** The 43-byte transparent 1×1 GIF every pixel request gets. */
export const PIXEL_GIF = Buffer.from('R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==', 'base64');

const STYLE = 'body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#222}button{font-size:1rem;padding:.6rem 1.2rem;cursor:pointer}';

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body><h1>${escapeHtml(title)}</h1>${body}</body></html>
`;
}

/** GET /u/:token: a button that posts the link; a scanner following the link unsubscribes no one. */
export function unsubscribeForm(token: string): string {
  return page(
    'Unsubscribe',
    `<p>Stop receiving these emails?</p><form method="post" action="/u/${encodeURIComponent(token)}"><input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit">Unsubscribe</button></form>`,
  );
}

export const UNSUBSCRIBED_PAGE = page('Unsubscribed', '<p>You will not receive these emails any more.</p>');

export const UNKNOWN_LINK_PAGE = page('Link not found', '<p>This link is not known here. It may have been copied incompletely.</p>');
