/**
 * The two verdicts a refused request can get from the rules (RFC 6750 §3, RFC 9449 §7.1):
 * the access token is bad (`invalid_token`), or its DPoP proof is (`invalid_dpop_proof`).
 */
export type VerificationErrorCode = 'invalid_token' | 'invalid_dpop_proof';

/**
 * A rule of the core refused a token or a proof. `detail` is a fixed sentence (never text from
 * the token or proof: it may end up in a WWW-Authenticate header); `expired` tells an expired
 * access token apart from every other failure (the only one RFC 6750 lets a client tell apart).
 */
export class VerificationError extends Error {
  constructor(
    readonly code: VerificationErrorCode,
    readonly detail: string,
    readonly expired = false,
  ) {
    super(detail);
    this.name = 'VerificationError';
  }
}

export const invalidToken = (expired = false): VerificationError =>
  new VerificationError('invalid_token', expired ? 'The access token expired.' : 'The access token is invalid.', expired);

export const invalidProof = (detail: string): VerificationError => new VerificationError('invalid_dpop_proof', detail);
