import { VerificationError } from './errors.js';

/** Far above any access token the API issues, and bounds the parsing work. */
export const MAX_ACCESS_TOKEN_LENGTH = 8192;

const SPACE = 0x20;

export interface AuthorizationCredentials {
  /** `Bearer` for a bearer token, `DPoP` for a key-bound one presented with a proof. */
  readonly scheme: 'Bearer' | 'DPoP';
  readonly token: string;
}

/**
 * The scheme and token of an `Authorization` header: `Bearer <token>` (RFC 6750 §2.1) or
 * `DPoP <token>` (RFC 9449 §7.1), the scheme case-insensitive, one or more spaces, one token,
 * optional trailing spaces; null for anything else (missing, another scheme, malformed, too long).
 *
 * The token's characters are not scanned here: AccessTokenChecker accepts only a JWS in compact
 * form that it verified (and checks that syntax before the signature), so a token seen before
 * costs no pass over its ~700 characters (BENCHMARKS.md, figure 13c).
 */
export function parseAuthorization(header: string | undefined): AuthorizationCredentials | null {
  if (typeof header !== 'string' || header.length > MAX_ACCESS_TOKEN_LENGTH + 16) return null;
  const gap = header.indexOf(' ');
  const scheme = gap === -1 ? null : schemeOf(header.slice(0, gap));
  if (scheme === null) return null;
  let start = gap;
  while (header.charCodeAt(start) === SPACE) start++;
  let end = header.indexOf(' ', start);
  if (end === -1) end = header.length;
  else for (let i = end; i < header.length; i++) if (header.charCodeAt(i) !== SPACE) return null;
  if (start === end || end - start > MAX_ACCESS_TOKEN_LENGTH) return null;
  return { scheme, token: header.slice(start, end) };
}

function schemeOf(name: string): AuthorizationCredentials['scheme'] | null {
  if (name.length === 6 && name.toLowerCase() === 'bearer') return 'Bearer';
  if (name.length === 4 && name.toLowerCase() === 'dpop') return 'DPoP';
  return null;
}

/**
 * API.md § Device-bound tokens: a key-bound token (`cnf.jkt`) is accepted only under the DPoP
 * scheme (presented as Bearer, a stolen one would be usable without the key), and the DPoP
 * scheme only with a bound token.
 * @throws VerificationError `invalid_token` when the scheme and the binding disagree
 */
export function checkBinding(scheme: AuthorizationCredentials['scheme'], jkt: string | null): void {
  if ((scheme === 'Bearer') !== (jkt === null)) throw new VerificationError('invalid_token', 'The access token is invalid.');
}
