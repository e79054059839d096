/**
 * Seed files and POST /quotes follow one rule: text must be valid UTF-8. The API refuses a body
 * with invalid bytes (it is one record); a seed file holds many, so only the records that hold
 * invalid bytes are refused. Node's decoder would silently turn those bytes into U+FFFD and the
 * record would be stored altered; here each invalid sequence becomes INVALID_UTF8_MARK instead,
 * which checkRecord reports as invalid.
 */

/** A Unicode noncharacter ("not for interchange"): it stands where the source had invalid bytes. */
export const INVALID_UTF8_MARK = '\ufdd0';

const strict = new TextDecoder('utf-8', { fatal: true });

/** Length of the valid UTF-8 sequence starting at `i`, or 0 when the bytes there are not one. */
function sequenceLength(bytes: Uint8Array, i: number): number {
  const b = bytes[i]!;
  if (b < 0x80) return 1;
  const cont = (at: number, low = 0x80, high = 0xbf): boolean => {
    const c = bytes[at];
    return c !== undefined && c >= low && c <= high;
  };
  if (b >= 0xc2 && b <= 0xdf) return cont(i + 1) ? 2 : 0;
  if (b >= 0xe0 && b <= 0xef) {
    // E0 would be an overlong form below A0; ED A0..BF would be a UTF-16 surrogate.
    const [low, high] = b === 0xe0 ? [0xa0, 0xbf] : b === 0xed ? [0x80, 0x9f] : [0x80, 0xbf];
    return cont(i + 1, low, high) && cont(i + 2) ? 3 : 0;
  }
  if (b >= 0xf0 && b <= 0xf4) {
    const [low, high] = b === 0xf0 ? [0x90, 0xbf] : b === 0xf4 ? [0x80, 0x8f] : [0x80, 0xbf];
    return cont(i + 1, low, high) && cont(i + 2) && cont(i + 3) ? 4 : 0;
  }
  return 0;
}

/** The bytes as text, each invalid UTF-8 sequence replaced by INVALID_UTF8_MARK; `invalid` says whether any was. */
export function decodeUtf8Marking(bytes: Uint8Array): { text: string; invalid: boolean } {
  try {
    return { text: strict.decode(bytes), invalid: false };
  } catch {
    // fall through: find the bad bytes
  }
  const pieces: string[] = [];
  let runStart = 0;
  let i = 0;
  while (i < bytes.length) {
    const length = sequenceLength(bytes, i);
    if (length > 0) {
      i += length;
      continue;
    }
    pieces.push(strict.decode(bytes.subarray(runStart, i)), INVALID_UTF8_MARK);
    i += 1;
    runStart = i;
  }
  pieces.push(strict.decode(bytes.subarray(runStart)));
  return { text: pieces.join(''), invalid: true };
}
