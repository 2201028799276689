import { DomainError } from '@app/platform';

/**
 * A passkey ceremony that did not verify: a wrong signature, a foreign origin or RP id, a
 * spent, expired or unknown challenge, an unknown or removed credential, a signature counter
 * that went backwards. One answer for all, so a caller learns nothing about which check failed.
 */
export class PasskeyRejected extends DomainError {
  readonly category = 'unauthenticated';
  readonly code = 'passkey-rejected';
  constructor() {
    super('The passkey could not be verified.');
  }
}

/** Unknown ids and other accounts' passkeys answer this one 404. */
export class PasskeyNotFound extends DomainError {
  readonly category = 'not_found';
  readonly code = 'passkey-not-found';
  constructor() {
    super('No such passkey.');
  }
}

/** The authenticator's credential is registered already (to this account or another). */
export class PasskeyAlreadyRegistered extends DomainError {
  readonly category = 'conflict';
  readonly code = 'passkey-already-registered';
  constructor() {
    super('This passkey is registered already.');
  }
}
