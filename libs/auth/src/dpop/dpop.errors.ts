import { DomainError } from '@app/platform';

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
