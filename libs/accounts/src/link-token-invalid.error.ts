import { DomainError } from '@app/platform';

/** A mailed link's token that is spent, expired, unknown or malformed: one answer for all (API.md § Accounts). */
export class LinkTokenInvalid extends DomainError {
  readonly category = 'invalid_input';
  readonly code = 'invalid-link-token';
  override readonly problemError = 'invalid_token';
  constructor() {
    super('This link is not valid any more: it was used, replaced by a newer one, or it expired. Ask for a new one.');
  }
}
