import { VerificationError } from './errors.js';

/** `Authorization: Bearer <token>` (RFC 6750 §2.1; the scheme is case-insensitive). */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;
/** `Authorization: DPoP <token>` (RFC 9449 §7.1; the scheme is case-insensitive too). */
const DPOP = /^DPoP +([A-Za-z0-9\-._~+/]+=*) *$/i;

/** Far above any access token the API issues, and bounds the parsing work. */
export const MAX_ACCESS_TOKEN_LENGTH = 8192;

export interface AuthorizationCredentials {
  /** `Bearer` for a bearer token, `DPoP` for a key-bound one presented with a proof. */
  readonly scheme: 'Bearer' | 'DPoP';
  readonly token: string;
}

/** The scheme and token of an `Authorization` header; null for anything else (missing, another scheme, malformed, too long). */
export function parseAuthorization(header: string | undefined): AuthorizationCredentials | null {
  if (header === undefined || header.length > MAX_ACCESS_TOKEN_LENGTH + 16) return null;
  const bearer = BEARER.exec(header)?.[1];
  if (bearer !== undefined) return bearer.length > MAX_ACCESS_TOKEN_LENGTH ? null : { scheme: 'Bearer', token: bearer };
  const bound = DPOP.exec(header)?.[1];
  if (bound !== undefined) return bound.length > MAX_ACCESS_TOKEN_LENGTH ? null : { scheme: 'DPoP', token: bound };
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
