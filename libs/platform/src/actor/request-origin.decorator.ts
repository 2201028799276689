import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { RequestOrigin } from './actor.js';

const MAX_USER_AGENT = 512;

interface IncomingRequest {
  ip?: string;
  headers: Record<string, string | string[] | undefined>;
}

/** The client address (TRUST_PROXY applied) and user agent of a request. */
export function originOf(request: IncomingRequest): RequestOrigin {
  const userAgent = request.headers['user-agent'];
  return {
    ip: request.ip ?? null,
    userAgent: typeof userAgent === 'string' && userAgent.length > 0 ? userAgent.slice(0, MAX_USER_AGENT) : null,
  };
}

/** `@Origin() origin: RequestOrigin`, for requests from nobody signed in yet. */
export const Origin = createParamDecorator((_: unknown, context: ExecutionContext): RequestOrigin =>
  originOf(context.switchToHttp().getRequest<IncomingRequest>()),
);
