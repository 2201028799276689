/**
 * API.md: an email is trimmed, Unicode-normalised (NFC) and compared case-insensitively, so one
 * address typed two ways (composed "é" or "e" + combining accent, any letter case) is one
 * account. An address with a control, format (zero-width, bidi) or space character inside is
 * refused: it would look like another address on screen.
 */
const FORBIDDEN = /[\p{Cc}\p{Cf}\p{Z}\s]/u;

/** The canonical form of an account email, or null when it holds a forbidden character. */
export function normalizeAccountEmail(raw: string): string | null {
  const email = raw.trim().normalize('NFC').toLowerCase().normalize('NFC');
  return FORBIDDEN.test(email) ? null : email;
}
