/**
 * Text that came from outside qctl (a server's answer, a pod's log, a file, a URL the user typed)
 * passes through here before it is printed or stored: credentials are redacted and control
 * characters are escaped, so a hostile byte stream can neither leak a password into a report nor
 * clear the screen, set the terminal title or hide text behind a NUL.
 */

const REDACTED = '***';

/** Query parameters whose value is a credential (`?token=`, `?api_key=`, `?X-Amz-Signature=`...). */
const SECRET_PARAM = /token|secret|password|passwd|pwd|api[-_]?key|apikey|auth|signature|sig$|credential|session/i;

/**
 * The URL with its user info (`user:pw@`) and credential-like query values replaced by ***.
 * Text that does not parse as a URL is returned with any `user:pw@` part still redacted.
 */
export function redactUrl(url: string | URL): string {
  let parsed: URL;
  try {
    parsed = typeof url === 'string' ? new URL(url) : new URL(url.href);
  } catch {
    return redactUrlsIn(String(url));
  }
  if (parsed.username || parsed.password) {
    parsed.username = REDACTED;
    parsed.password = '';
  }
  for (const [name] of [...parsed.searchParams]) {
    if (SECRET_PARAM.test(name)) parsed.searchParams.set(name, REDACTED);
  }
  return parsed.href;
}

// scheme://userinfo@: greedy up to the last '@' before the path, so a raw '@' inside a password is covered too.
const URL_WITH_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#]+@/gi;
const SECRET_QUERY_VALUE =
  /([?&][^\s=&#]*(?:token|secret|password|passwd|api[-_]?key|apikey|auth|signature|credential|session)[^\s=&#]*=)[^\s&#"']+/gi;

/** Every URL inside free text (an error message, a log line) with its credentials redacted. */
export function redactUrlsIn(text: string): string {
  return text.replace(URL_WITH_USERINFO, `$1${REDACTED}@`).replace(SECRET_QUERY_VALUE, `$1${REDACTED}`);
}

// C0 controls, DEL, C1 controls, and the invisible characters that reorder or hide text (bidi
// overrides, line/paragraph separators, zero-width). Newline and tab are handled by the caller's choice.

const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]/g;

const CONTROL_OR_LINE_BREAK = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]/g;

function escapeChar(char: string): string {
  if (char === '\n') return '\\n';
  if (char === '\r') return '\\r';
  if (char === '\t') return '\\t';
  const code = char.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * Control characters shown as visible escapes (`\x1b`, `\x00`, `\u202e`). With `lines`, newlines
 * and tabs are kept (for a block of log lines); otherwise the result is one line.
 */
export function escapeControls(text: string, options: { lines?: boolean } = {}): string {
  return text.replace(options.lines ? CONTROL : CONTROL_OR_LINE_BREAK, escapeChar);
}

/** Longest piece of outside text quoted in one message. */
export const MAX_QUOTED_CHARS = 500;

/**
 * One piece of outside text (a response body, a reason, a log line) ready to print inside a
 * message: credentials redacted, controls escaped, one line, cut at `max` characters.
 */
export function quoteOutside(text: string, max = MAX_QUOTED_CHARS): string {
  const safe = escapeControls(redactUrlsIn(text));
  return safe.length > max ? `${safe.slice(0, max)}... (${safe.length} characters)` : safe;
}

/**
 * What a terminal receives at the last step (errors, warnings, progress): redacted, controls
 * escaped, line breaks kept unless `oneLine` (a usage error is one line, even when it quotes input
 * with a newline in it).
 */
export function safeForTerminal(text: string, options: { oneLine?: boolean } = {}): string {
  return escapeControls(redactUrlsIn(text), { lines: !options.oneLine });
}
