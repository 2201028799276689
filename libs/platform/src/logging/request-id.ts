import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * A client's `X-Request-Id` is taken only when it is short and plain: it is written into every
 * log line of the request and echoed in a response header, so anything that could break a log
 * line, a header or a log query (quotes, spaces, control characters, megabytes) is replaced.
 */
export const REQUEST_ID_PATTERN = /^[A-Za-z0-9._-]{1,128}$/;

export const REQUEST_ID_HEADER = 'x-request-id';

/** The request's id: the client's `X-Request-Id` when well-formed, else a new UUID. */
export function requestIdOf(request: Pick<IncomingMessage, 'headers'>): string {
  const offered = request.headers[REQUEST_ID_HEADER];
  return typeof offered === 'string' && REQUEST_ID_PATTERN.test(offered) ? offered : randomUUID();
}
