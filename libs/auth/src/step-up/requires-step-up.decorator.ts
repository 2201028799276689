import { applyDecorators, Injectable, SetMetadata, UseGuards, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiExtension } from '@nestjs/swagger';
import type { ActorRequest } from '@app/platform';
import { StepUpPolicy } from './step-up.policy.js';

const STEP_UP = 'requiresStepUp';

export interface StepUpOptions {
  /**
   * A route parameter naming a device: the operation needs no step-up when it is the caller's
   * own device (signing yourself out is never sensitive; revoking another device is).
   */
  readonly exceptOwnDevice?: string;
}

/**
 * Marks a sensitive operation (API.md § Step-up): the guard below refuses it with the RFC 9470
 * challenge unless the caller authenticated recently on this device, before the handler runs,
 * so nothing changes. The one place the rule is applied, on the API's and the dashboard's
 * routes alike; the OpenAPI document shows it as `x-step-up`, and a test holds the list of
 * marked operations to API.md's.
 */
export function RequiresStepUp(options: StepUpOptions = {}): MethodDecorator {
  return applyDecorators(
    SetMetadata(STEP_UP, options),
    UseGuards(StepUpGuard),
    ApiExtension('x-step-up', options.exceptOwnDevice ? { exceptOwnDevice: options.exceptOwnDevice } : {}),
  );
}

/** Applies @RequiresStepUp() after the app's guard has resolved the actor (route guards run after global ones). */
@Injectable()
export class StepUpGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly policy: StepUpPolicy,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const options = this.reflector.get<StepUpOptions | undefined>(STEP_UP, context.getHandler());
    if (options === undefined) return true;
    const request = context.switchToHttp().getRequest<ActorRequest & { params?: Record<string, string | undefined> }>();
    const actor = request.actor;
    if (!actor) throw new Error('@RequiresStepUp() on a route that no guard resolved an actor for');
    if (options.exceptOwnDevice !== undefined && request.params?.[options.exceptOwnDevice] === actor.deviceId) return true;
    this.policy.require(actor);
    return true;
  }
}
