import { ParseUUIDPipe } from '@nestjs/common';
import type { DomainError } from './errors/domain-error.js';

/** A route's id parameter: a malformed one answers `notFound()` (an id that cannot exist is unknown, not invalid). */
export function uuidParam(notFound: () => DomainError): ParseUUIDPipe {
  return new ParseUUIDPipe({ exceptionFactory: notFound });
}
