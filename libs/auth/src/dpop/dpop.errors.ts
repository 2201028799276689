import { DomainError } from '@app/platform';
import { DPOP_SIGNING_ALGORITHMS } from '@device-auth/verifier/core';

// The details are fixed sentences, never text taken from the proof: the proof is attacker-controlled
// and the detail may end up in a WWW-Authenticate header (RFC 9449 §7.1), so echoing it would let a
// client inject header content. They name which rule failed, which the client already knows.

/** A DPoP proof that is missing, malformed or fails a check of RFC 9449 §4.3: `invalid_dpop_proof`. */
export class DpopProofInvalid extends DomainError {
  readonly category = 'invalid_input';
  readonly code = 'invalid-dpop-proof';
  override readonly oauthError = 'invalid_dpop_proof';
  constructor(detail = 'The DPoP proof is invalid.') {
    super(detail);
  }
}

/**
 * The proof lacks the server-issued nonce, or carries one that is no longer (or never was) valid:
 * `use_dpop_nonce` (RFC 9449 §8). The caller answers with a fresh `DPoP-Nonce` header.
 */
export class DpopNonceRequired extends DomainError {
  readonly category = 'invalid_input';
  readonly code = 'use-dpop-nonce';
  override readonly oauthError = 'use_dpop_nonce';
  constructor() {
    super('The DPoP proof must carry the nonce the server provides.');
  }
}

/**
 * A key-bound access token whose request failed the DPoP check (RFC 9449 §7.1): 401 with a
 * `DPoP` challenge naming the error (`invalid_token`, `invalid_dpop_proof`, `use_dpop_nonce`)
 * and the algorithms proofs may use; a `DPoP-Nonce` too when nonces are on.
 */
export class DpopAccessRefused extends DomainError {
  readonly category = 'invalid_token';
  readonly code = 'invalid-token';
  constructor(
    error: 'invalid_token' | 'invalid_dpop_proof' | 'use_dpop_nonce',
    detail: string,
    headers: Readonly<Record<string, string>> = {},
  ) {
    super(detail);
    this.headers = { ...headers, 'WWW-Authenticate': `DPoP error="${error}", algs="${DPOP_SIGNING_ALGORITHMS.join(' ')}"` };
  }
}
