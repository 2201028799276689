import type {} from '@fastify/view';
import { Catch, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CurrentPasswordIncorrect, InvalidCredentials, InvalidSecondFactor, StepUpRequired } from '@app/auth';
import { RateLimited, ServiceBusy, toProblem, ValidationFailed } from '@app/platform';
import { withLayout } from '../rendering/page.interceptor.js';
import { PasswordsDiffer } from '../recovery/recovery-form.filter.js';
import type { CsrfRequest } from '../session/csrf.js';
import type { ViewerRequest } from '../session/viewer.js';
import { stepUpReturnForPath, stepUpReturnOf } from '../step-up/step-up.js';

const MESSAGES = new Map<new (...args: never[]) => Error, string>([
  [InvalidCredentials, 'That password is not right.'],
  [CurrentPasswordIncorrect, 'Your current password is not right. Nothing was changed.'],
  [InvalidSecondFactor, 'That code is not right, or it was used already. Enter the current code from your app.'],
  [RateLimited, 'Too many attempts. Wait a little, then try again.'],
  [ServiceBusy, 'The service is busy. Try again in a moment.'],
]);

/**
 * The account page's forms. A step-up refusal (the sign-in is older than STEP_UP_MAX_AGE)
 * sends the browser to "Confirm it's you", which brings it back to the form; any other problem
 * shows the form again with why, under the API's status.
 */
@Catch(
  StepUpRequired,
  ValidationFailed,
  InvalidCredentials,
  InvalidSecondFactor,
  CurrentPasswordIncorrect,
  PasswordsDiffer,
  RateLimited,
  ServiceBusy,
)
export class AccountFormFilter implements ExceptionFilter {
  catch(
    exception:
      | StepUpRequired
      | ValidationFailed
      | InvalidCredentials
      | InvalidSecondFactor
      | CurrentPasswordIncorrect
      | PasswordsDiffer
      | RateLimited
      | ServiceBusy,
    host: ArgumentsHost,
  ): void {
    const request = host.switchToHttp().getRequest<FastifyRequest & CsrfRequest & ViewerRequest>();
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const path = request.url.split('?')[0];
    if (exception instanceof StepUpRequired) {
      void reply.redirect(`/account/confirm-identity?return=${stepUpReturnForPath(path)}`, 303);
      return;
    }
    // The two new passwords differ: nothing was checked or counted (400, as a field's problem).
    const problem = exception instanceof PasswordsDiffer ? { status: 400, headers: {} } : toProblem(exception);
    for (const [name, value] of Object.entries(problem.headers)) {
      if (name !== 'WWW-Authenticate') void reply.header(name, value);
    }
    const body = (request.body ?? {}) as Record<string, unknown>;
    const error = MESSAGES.get(exception.constructor as new () => Error) ?? exception.message;
    // A wrong password or code answers 401 on the API; a page has no authentication scheme to challenge: 403.
    const status = exception instanceof InvalidCredentials || exception instanceof InvalidSecondFactor ? 403 : problem.status;
    const page =
      path === '/account/email'
        ? {
            template: 'change-email.hbs',
            title: 'Change email',
            newEmail: typeof body.newEmail === 'string' ? body.newEmail.slice(0, 254) : undefined,
          }
        : path === '/account/confirm-identity'
          ? {
              template: 'confirm-identity.hbs',
              title: "Confirm it's you",
              returnTo: stepUpReturnOf((request.query as { return?: unknown }).return),
              // The code field again when it was on the form, or when the account turned out to need it.
              askCode: exception instanceof InvalidSecondFactor || typeof body.code === 'string',
            }
          : path === '/account/password'
            ? // The passwords typed are never put back into the page.
              { template: 'change-password.hbs', title: 'Change password' }
            : { template: 'account-delete.hbs', title: 'Delete account' };
    void reply.status(status).view(page.template, withLayout(request, { section: 'account', ...page, error }));
  }
}
