/**
 * Credentials in a URL (`http://user:pw@host/`) are sent, never shown: every URL qctl load prints
 * or stores (start line, reports, errors) goes through here. The request carries them as an
 * Authorization header instead (see basicAuthOf).
 */
const USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^/\s?#@]*@/gi;

/** The text with the user:password part of every URL in it replaced by `***`. */
export function redactUrls(text: string): string {
  return text.replace(USERINFO, '$1***@');
}

/**
 * The URL without its credentials, and the Basic Authorization header they stand for (as curl
 * sends them); undici sends only the origin and path, so they would otherwise be dropped silently.
 */
export function splitCredentials(url: URL): { url: URL; authorization?: string } {
  if (url.username === '' && url.password === '') return { url };
  const bare = new URL(url.href);
  bare.username = '';
  bare.password = '';
  const user = decodeURIComponent(url.username);
  const password = decodeURIComponent(url.password);
  return { url: bare, authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` };
}
