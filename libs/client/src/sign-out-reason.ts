/**
 * Why a session ended. The first six are the server's `invalid_grant` reasons (API.md § Errors);
 * `logout` follows `logout()`; `key_unavailable` means the session is bound to a DPoP key the
 * storage could not give back (a restart with storage that keeps no keys), so it cannot go on.
 */
export type SignOutReason =
  'revoked' | 'password_changed' | 'reused' | 'expired' | 'session_expired' | 'invalid' | 'logout' | 'key_unavailable';

const SERVER_REASONS: readonly string[] = ['revoked', 'password_changed', 'reused', 'expired', 'session_expired', 'invalid'];

/** The server's reason, or `invalid` for anything this client version does not know. */
export function serverReason(value: unknown): SignOutReason {
  return typeof value === 'string' && SERVER_REASONS.includes(value) ? (value as SignOutReason) : 'invalid';
}
