import { createParamDecorator, type ExecutionContext } from '@nestjs/common';

/** Where a request came from, as recorded on devices and security events. */
export interface RequestOrigin {
  readonly ip: string | null;
  readonly userAgent: string | null;
}

const MAX_USER_AGENT = 512;

export const Origin = createParamDecorator((_: unknown, context: ExecutionContext): RequestOrigin => {
  const request = context.switchToHttp().getRequest<{ ip?: string; headers: Record<string, string | string[] | undefined> }>();
  const userAgent = request.headers['user-agent'];
  return {
    ip: request.ip ?? null,
    userAgent: typeof userAgent === 'string' && userAgent.length > 0 ? userAgent.slice(0, MAX_USER_AGENT) : null,
  };
});
