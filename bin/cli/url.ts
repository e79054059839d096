import { usageError } from './errors.js';
import { quoteOutside } from './safe-text.js';

/** An http(s) base URL given on the command line; `flag` names the option in the message. */
export function parseHttpUrl(text: string, flag: string, example: string): string {
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw usageError(`invalid ${flag} "${quoteOutside(text, 200)}": give an http:// or https:// URL, e.g. ${flag} ${example}`);
  }
  return text;
}

/**
 * The URL without its credentials, and the Basic Authorization header they stand for (as curl
 * sends them); fetch and undici send only the origin and path, so they would otherwise be dropped silently.
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
