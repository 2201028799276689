import { DomainError } from '@app/platform';

// The revocation feed's errors (GET /revocations, API.md § Revocation outside the API).

/** REVOCATION_FEED_TOKEN is unset: the route answers exactly as one that does not exist. */
export class RevocationFeedOff extends DomainError {
  readonly category = 'not_found';
  readonly code = 'not-found';
  constructor() {
    super('No such resource.');
  }
}

/**
 * No feed credential, or a wrong one: 401 with a Bearer challenge (RFC 6750 §3; §3.1: no
 * error code when the request carried no credential at all).
 */
export class RevocationFeedCredentialRefused extends DomainError {
  readonly category = 'unauthenticated';
  readonly code = 'invalid-feed-credential';
  constructor(presented: boolean) {
    super(presented ? 'The revocation feed credential is invalid.' : 'The revocation feed needs its credential.');
    this.headers = { 'WWW-Authenticate': presented ? 'Bearer realm="revocations", error="invalid_token"' : 'Bearer realm="revocations"' };
  }
}
