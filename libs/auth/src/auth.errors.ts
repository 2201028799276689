import { DomainError } from '@app/platform';

// The auth domain's errors. Each says what went wrong in the domain's words; the filters
// decide the wire format (problem+json, or RFC 6749 on the token endpoint).

/** Wrong email or wrong password: one error, one body, so neither is told apart. */
export class InvalidCredentials extends DomainError {
  readonly category = 'unauthenticated';
  readonly code = 'invalid-credentials';
  constructor() {
    super('The email or password is incorrect.');
  }
}

export class EmailTaken extends DomainError {
  readonly category = 'conflict';
  readonly code = 'email-taken';
  constructor() {
    super('An account with this email already exists.');
  }
}

/**
 * REQUIRE_EMAIL_VERIFICATION: the right password on an account whose address is not verified
 * (said only after the password check, so it tells a stranger nothing).
 */
export class EmailNotVerified extends DomainError {
  readonly category = 'forbidden';
  readonly code = 'email-not-verified';
  override readonly problemError = 'email_not_verified';
  constructor() {
    super('Confirm your email address first: a new link is on its way.');
  }
}

/**
 * RFC 9470: a sensitive operation on a device whose last active authentication is older than
 * STEP_UP_MAX_AGE. 401 with the challenge that tells a client to re-authenticate
 * (`POST /auth/reauthenticate`), in the scheme of the caller's token; nothing changed.
 */
export class StepUpRequired extends DomainError {
  readonly category = 'unauthenticated';
  readonly code = 'insufficient-user-authentication';
  override readonly problemError = 'insufficient_user_authentication';
  constructor(maxAgeSeconds: number, keyBound: boolean) {
    super('This needs a recent sign-in on this device: authenticate again (POST /auth/reauthenticate), then retry.');
    this.headers = {
      'WWW-Authenticate': `${keyBound ? 'DPoP' : 'Bearer'} error="insufficient_user_authentication", error_description="${this.detail}", max_age=${maxAgeSeconds}`,
    };
  }
}

export class CurrentPasswordIncorrect extends DomainError {
  readonly category = 'forbidden';
  readonly code = 'current-password-incorrect';
  constructor() {
    super('The current password is incorrect.');
  }
}

/**
 * Any access-token failure. Only "expired" is told apart from the rest (RFC 6750 §3),
 * so a forger learns nothing about which check failed.
 */
export class InvalidAccessToken extends DomainError {
  readonly category = 'invalid_token';
  readonly code = 'invalid-token';
  constructor(readonly expired: boolean) {
    super(expired ? 'The access token expired.' : 'The access token is invalid.');
  }
}

/**
 * Why a session ended, as API.md's `invalid_grant` says it (`reason`), so that a client can tell
 * its user: signed out elsewhere, password changed, theft detected, idle too long, too old; or
 * `invalid` for a token the server does not know (nothing more is said about it).
 */
export type SessionEndReason = 'revoked' | 'password_changed' | 'reused' | 'expired' | 'session_expired' | 'invalid';

/** A refresh token that is unknown, expired, spent or of a revoked device: `invalid_grant`. */
export class RefreshTokenRejected extends DomainError {
  readonly category = 'invalid_input';
  readonly code = 'invalid-grant';
  override readonly oauthError = 'invalid_grant';

  constructor(
    detail: string,
    readonly reason: SessionEndReason,
  ) {
    super(detail);
  }
}

/** A spent refresh token came back: theft is assumed and the device was revoked. */
export class RefreshTokenReused extends RefreshTokenRejected {
  constructor() {
    super('The refresh token was already used; the device session has been revoked.', 'reused');
  }
}

export class UnsupportedGrantType extends DomainError {
  readonly category = 'invalid_input';
  readonly code = 'unsupported-grant-type';
  override readonly oauthError = 'unsupported_grant_type';
  constructor() {
    super('Only grant_type=refresh_token is supported here.');
  }
}

/**
 * The password was right and the account has a second factor (API.md § Strong authentication):
 * 401 `mfa_required` with the single-use `mfaToken` that `POST /auth/login/mfa` finishes the
 * sign-in with. No device exists yet.
 */
export class MfaRequired extends DomainError {
  readonly category = 'unauthenticated';
  readonly code = 'mfa-required';
  override readonly problemError = 'mfa_required';
  override readonly problemMembers: Readonly<Record<string, string>>;
  constructor(mfaToken: string) {
    super('This account has two-step verification: finish the sign-in with a code (POST /auth/login/mfa).');
    this.problemMembers = { mfaToken };
  }
}

/** An `mfaToken` that is unknown, expired, spent, or ended by too many wrong codes: sign in again. */
export class MfaTokenInvalid extends DomainError {
  readonly category = 'unauthenticated';
  readonly code = 'mfa-token-invalid';
  override readonly problemError = 'invalid_mfa_token';
  constructor() {
    super('The sign-in to finish is unknown, expired, already finished or ended after too many wrong codes: sign in again.');
  }
}

/** A wrong, malformed or already used second-factor code (TOTP or recovery code), or none where one is needed. */
export class InvalidSecondFactor extends DomainError {
  readonly category = 'unauthenticated';
  readonly code = 'invalid-second-factor';
  override readonly problemError = 'invalid_code';
  constructor(detail = 'The code is incorrect or was already used.') {
    super(detail);
  }
}
