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
