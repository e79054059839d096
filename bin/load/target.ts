import { isIP } from 'node:net';
import { usageError } from '../cli/errors.js';
import { redactUrls } from './redact.js';

/**
 * Loopback names and addresses, plus wildcard-DNS names that resolve to loopback
 * (`quotes.127.0.0.1.nip.io`, the default ingress host of a laptop cluster).
 */
export function isLocalHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1' || host.startsWith('::ffff:127.');
  const wildcard = /(?:^|\.)(127(?:\.\d{1,3}){3})\.(?:nip\.io|sslip\.io)$/.exec(host);
  return wildcard !== null;
}

export function parseTargetUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`);
  } catch {
    throw usageError(`invalid URL "${redactUrls(text)}": give a full URL such as http://127.0.0.1:8080/quotes`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw usageError(`invalid URL "${redactUrls(text)}": only http:// and https:// are supported`);
  }
  return url;
}

/** Load is only sensible against loopback or the user's own cluster; anything else needs --yes. */
export function assertTargetsAllowed(origins: string[], yes: boolean): void {
  if (yes) return;
  for (const origin of origins) {
    const { hostname } = new URL(origin);
    if (!isLocalHost(hostname)) {
      throw usageError(
        `${origin} is not a local address; load-test only services you own: add --yes to confirm, or target 127.0.0.1 or --env`,
      );
    }
  }
}
