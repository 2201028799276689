import { applyDecorators, Controller, Injectable, UseGuards, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { DomainError } from '@app/platform';
import type { ViewerRequest } from '../session/viewer.js';

/** Operators' pages answer everyone else exactly like a page that does not exist. */
export class NoSuchPage extends DomainError {
  readonly category = 'not_found';
  readonly code = 'not-found';
  constructor() {
    super('No such resource.');
  }
}

/**
 * Lets a request through only when DashboardSessionGuard found a signed-in viewer whose stored
 * role is `operator`. Anything else, including a route someone marked @Public() (no viewer
 * then), is a 404: it fails closed.
 */
@Injectable()
export class OperatorGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const viewer = context.switchToHttp().getRequest<ViewerRequest>().viewer;
    if (viewer?.isOperator !== true) throw new NoSuchPage();
    return true;
  }
}

/**
 * `@OperatorPages('admin/users')` instead of `@Controller(…)`: every route of the class, present
 * and future, is behind OperatorGuard. There is no per-handler check to forget.
 */
export const OperatorPages = (path: string): ClassDecorator => applyDecorators(Controller(path), UseGuards(OperatorGuard));
