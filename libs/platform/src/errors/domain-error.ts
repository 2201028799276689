/** How a domain error reads on the wire; each app's filter maps a category to a status. */
export type ErrorCategory =
  'invalid_input' | 'invalid_token' | 'unauthenticated' | 'forbidden' | 'not_found' | 'conflict' | 'too_many_requests' | 'unavailable';

/** The RFC 6749 §5.2 code a token-endpoint error answers with (the DPoP ones are RFC 9449 §5 and §8). */
export type OAuthErrorCode = 'invalid_request' | 'invalid_grant' | 'unsupported_grant_type' | 'invalid_dpop_proof' | 'use_dpop_nonce';

/**
 * Services throw domain errors, never HttpExceptions: they say what went wrong in the
 * domain's words, and the app's exception filter decides how that looks on the wire.
 */
export abstract class DomainError extends Error {
  abstract readonly category: ErrorCategory;
  /** Stable, machine-readable name, used in the problem `type`. */
  abstract readonly code: string;
  readonly oauthError: OAuthErrorCode = 'invalid_request';
  /** The `error` member of the problem+json body, where API.md names one (`invalid_token`, `email_not_verified`). */
  readonly problemError: string | null = null;
  /** Further members of the problem+json body (RFC 9457 §3.2 extensions), e.g. the `mfaToken` of `mfa_required`. */
  readonly problemMembers: Readonly<Record<string, string>> = {};
  /**
   * Headers the answer carries besides the ones its category implies: a DPoP challenge
   * (RFC 9449 §7.1) instead of the Bearer one, a fresh `DPoP-Nonce` (§8).
   */
  headers: Readonly<Record<string, string>> = {};

  constructor(readonly detail: string) {
    super(detail);
    this.name = new.target.name;
  }
}

export interface FieldError {
  readonly field: string;
  readonly message: string;
}

export class ValidationFailed extends DomainError {
  readonly category = 'invalid_input';
  readonly code = 'validation-failed';

  constructor(
    readonly errors: readonly FieldError[],
    detail = 'The request is not valid.',
  ) {
    super(detail);
  }
}

export class RateLimited extends DomainError {
  readonly category = 'too_many_requests';
  readonly code = 'rate-limited';

  constructor(readonly retryAfterSeconds: number) {
    super('Too many attempts. Try again later.');
  }
}

/** The service is at capacity (the password-hashing queue is full): 503 with Retry-After. */
export class ServiceBusy extends DomainError {
  readonly category = 'unavailable';
  readonly code = 'busy';

  constructor(readonly retryAfterSeconds: number) {
    super('The service is busy. Try again shortly.');
  }
}
