import { DomainError } from '@app/platform';

/** Unknown, revoked and other users' devices all answer this one 404. */
export class DeviceNotFound extends DomainError {
  readonly category = 'not_found';
  readonly code = 'device-not-found';
  constructor() {
    super('No such device.');
  }
}
