import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { AccessPrincipal } from '../tokens/access-principal.js';

/** The request's verified principal (the request is argument 0: switchToHttp().getRequest() without its closures). */
function principalOf(context: ExecutionContext): AccessPrincipal {
  return context.getArgByIndex<{ user: AccessPrincipal }>(0).user;
}

/** The verified access token's claims: `@CurrentPrincipal() principal: AccessPrincipal`. */
export const CurrentPrincipal = createParamDecorator((_: unknown, context: ExecutionContext) => principalOf(context));

/** The caller's user id (`sub`): `@CurrentUser() userId: string`. */
export const CurrentUser = createParamDecorator((_: unknown, context: ExecutionContext) => principalOf(context).userId);

/** The caller's device id (`sid`): `@CurrentDevice() deviceId: string`. */
export const CurrentDevice = createParamDecorator((_: unknown, context: ExecutionContext) => principalOf(context).deviceId);
