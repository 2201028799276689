import { DomainError } from '@app/platform';

/** `POST /account/totp` on an account whose TOTP is already on: turn it off first. */
export class TotpAlreadyEnabled extends DomainError {
  readonly category = 'conflict';
  readonly code = 'totp-already-enabled';
  constructor() {
    super('Two-step verification is already on for this account: turn it off first (DELETE /account/totp) to enrol again.');
  }
}

/** `POST /account/totp/confirm` without an enrolment waiting for its first code. */
export class TotpNotPending extends DomainError {
  readonly category = 'conflict';
  readonly code = 'totp-not-pending';
  constructor() {
    super('There is no enrolment to confirm: start one with POST /account/totp.');
  }
}

/** `DELETE /account/totp` on an account without TOTP (nor an enrolment). */
export class TotpNotEnabled extends DomainError {
  readonly category = 'not_found';
  readonly code = 'totp-not-enabled';
  constructor() {
    super('This account has no two-step verification to turn off.');
  }
}

/** A wrong code at confirmation: the enrolment stays pending (a request error, not a failed sign-in). */
export class TotpCodeIncorrect extends DomainError {
  readonly category = 'invalid_input';
  readonly code = 'totp-code-incorrect';
  override readonly problemError = 'invalid_code';
  constructor() {
    super('The code does not match: check the time on the device with the authenticator app, and use a fresh code.');
  }
}
