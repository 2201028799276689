import { DomainError } from '@app/platform';

// The Shared Signals transmitter's errors (API.md § Shared Signals). SSF 1.0 §8.1 gives them as
// HTTP statuses only; the bodies are this API's problem+json.

/** No asymmetric signing key: the transmitter is off, and its routes answer as ones that do not exist. */
export class SsfTransmitterOff extends DomainError {
  readonly category = 'not_found';
  readonly code = 'not-found';
  constructor() {
    super('No such resource.');
  }
}

/** No receiver token, or one no receiver holds: 401 with a Bearer challenge (RFC 6750 §3; §3.1: no error code without a credential). */
export class SsfReceiverRefused extends DomainError {
  readonly category = 'unauthenticated';
  readonly code = 'invalid-receiver-credential';
  constructor(presented: boolean) {
    super(presented ? 'The receiver credential is invalid.' : 'Stream management needs a receiver credential.');
    this.headers = { 'WWW-Authenticate': presented ? 'Bearer realm="ssf", error="invalid_token"' : 'Bearer realm="ssf"' };
  }
}

/** No stream of this id is the calling receiver's (another receiver's is exactly as unknown). */
export class SsfStreamNotFound extends DomainError {
  readonly category = 'not_found';
  readonly code = 'stream-not-found';
  constructor() {
    super('No stream of yours has this id.');
  }
}

/** SSF 1.0 §8.1.1.1: a receiver holds at most this many streams. */
export class SsfTooManyStreams extends DomainError {
  readonly category = 'conflict';
  readonly code = 'too-many-streams';
  constructor(limit: number) {
    super(`A receiver may have at most ${limit} streams: delete one first.`);
  }
}

/** A disabled stream delivers nothing, not even a verification event. */
export class SsfStreamDisabled extends DomainError {
  readonly category = 'conflict';
  readonly code = 'stream-disabled';
  constructor() {
    super('The stream is disabled: enable it before asking for a verification event.');
  }
}
