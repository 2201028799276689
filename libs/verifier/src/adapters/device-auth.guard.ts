import { AccessDenied } from '../access-denied.error.js';
import type { DeviceAuthVerifier } from '../device-auth-verifier.js';
import type { DevicePrincipal } from '../device-principal.js';
import { verifiableRequestOf, type AdapterOptions, type IncomingRequestLike } from './http-request.js';

/** The part of NestJS's ExecutionContext the guard uses (no import of @nestjs: none is needed). */
export interface HttpExecutionContextLike {
  switchToHttp(): { getRequest(): unknown; getResponse(): unknown };
}

/**
 * A NestJS guard (it has NestJS's `canActivate` shape; Express or Fastify platform): the
 * request goes on with `request.auth` set, or is refused with AccessDenied, whose
 * `status`/`statusCode` NestJS's default exception filter answers with (401 or 503); the
 * `WWW-Authenticate` / `Retry-After` header is set on the response first.
 *
 *     providers: [{ provide: APP_GUARD, useValue: new DeviceAuthGuard(verifier) }]
 */
export class DeviceAuthGuard {
  constructor(
    private readonly verifier: DeviceAuthVerifier,
    private readonly options: AdapterOptions = {},
  ) {}

  async canActivate(context: HttpExecutionContextLike): Promise<boolean> {
    const http = context.switchToHttp();
    const request = http.getRequest() as IncomingRequestLike & { auth?: DevicePrincipal };
    try {
      request.auth = await this.verifier.verifyRequest(verifiableRequestOf(request, this.options));
      return true;
    } catch (error) {
      if (error instanceof AccessDenied) setHeaders(http.getResponse(), error.headers);
      throw error;
    }
  }
}

/** Express's `res.header(name, value)`, Fastify's `reply.header(name, value)`, or Node's `setHeader`. */
function setHeaders(response: unknown, headers: Readonly<Record<string, string>>): void {
  const target = response as { header?: (name: string, value: string) => unknown; setHeader?: (name: string, value: string) => unknown };
  for (const [name, value] of Object.entries(headers)) {
    if (typeof target.header === 'function') target.header(name, value);
    else if (typeof target.setHeader === 'function') target.setHeader(name, value);
  }
}
