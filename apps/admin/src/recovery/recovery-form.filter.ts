import type {} from '@fastify/view';
import { Catch, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RateLimited, ServiceBusy, toProblem, ValidationFailed } from '@app/platform';
import { withLayout } from '../rendering/page.interceptor.js';
import type { CsrfRequest } from '../session/csrf.js';

/** The new password and its confirmation are not the same. */
export class PasswordsDiffer extends Error {
  constructor() {
    super('The two passwords are not the same.');
  }
}

const MESSAGES = new Map<new (...args: never[]) => Error, string>([
  [RateLimited, 'Too many requests for a reset link. Wait a little, then try again.'],
  [ServiceBusy, 'The service is busy. Try again in a moment.'],
]);

/** A form on the recovery pages that did not work: shown again, with why, under the API's status (400, 429 with Retry-After, 503). */
@Catch(ValidationFailed, RateLimited, ServiceBusy, PasswordsDiffer)
export class RecoveryFormFilter implements ExceptionFilter {
  catch(exception: ValidationFailed | RateLimited | ServiceBusy | PasswordsDiffer, host: ArgumentsHost): void {
    const request = host.switchToHttp().getRequest<FastifyRequest & CsrfRequest>();
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const body = (request.body ?? {}) as Record<string, unknown>;
    const text = (name: string, max: number) => (typeof body[name] === 'string' ? (body[name] as string).slice(0, max) : undefined);
    const error = MESSAGES.get(exception.constructor as new () => Error) ?? (exception as Error).message;
    if (exception instanceof PasswordsDiffer) {
      void reply
        .status(400)
        .view('reset-password.hbs', withLayout(request, { title: 'Choose a new password', token: text('token', 512), error }));
      return;
    }
    const problem = toProblem(exception);
    for (const [name, value] of Object.entries(problem.headers)) void reply.header(name, value);
    const page = request.url.startsWith('/reset-password')
      ? { template: 'reset-password.hbs', title: 'Choose a new password', token: text('token', 512) }
      : { template: 'forgot-password.hbs', title: 'Forgot password', email: text('email', 254) };
    void reply
      .status(problem.status)
      .view(page.template, withLayout(request, { ...page, error: exception instanceof ValidationFailed ? exception.detail : error }));
  }
}
