import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Actor, ActorRequest } from './actor.js';

/**
 * `@CurrentActor() actor: Actor`: who makes this request, as the app's guard resolved it (the
 * API's JwtAuthGuard from the access token, the dashboard's session guard from its cookies).
 * On a route without one (a @Public() route), it is a programming error, not a 401.
 */
export const CurrentActor = createParamDecorator((_: unknown, context: ExecutionContext): Actor => {
  const actor = context.switchToHttp().getRequest<ActorRequest>().actor;
  if (!actor) throw new Error('@CurrentActor() on a route that no guard resolved an actor for');
  return actor;
});
