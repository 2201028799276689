import type {} from '@fastify/view';
import { Catch, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { EmailNotVerified, InvalidCredentials, MfaRequired } from '@app/auth';
import { RateLimited, ServiceBusy, toProblem, ValidationFailed } from '@app/platform';
import { withLayout } from '../rendering/page.interceptor.js';
import type { CsrfRequest } from '../session/csrf.js';
import { safeNextPath } from '../session/sign-in-required.error.js';

/** `next` as the sign-in form's query carries it back (encoded, so it round-trips exactly). */
export function nextQuery(next: string | undefined): string | undefined {
  return next === undefined ? undefined : encodeURIComponent(next);
}

const MESSAGES = new Map<new (...args: never[]) => Error, string>([
  [RateLimited, 'Too many failed sign-ins. Try again later.'],
  [ServiceBusy, 'The service is busy. Try again in a moment.'],
  // The dashboard does not ask for the second factor yet (the API does: POST /auth/login/mfa).
  [MfaRequired, 'This account has two-step verification, which the dashboard cannot ask for yet: sign in with an app.'],
]);

/**
 * A sign-in that did not work shows the form again, with what the person typed (escaped by the
 * template) and why, under the status the API would answer: 400 for a form that does not read,
 * 401 for wrong credentials, 403 for a right password on an unverified address
 * (REQUIRE_EMAIL_VERIFICATION: a new link is mailed), 429 (with Retry-After) past the limit, 503
 * when hashing is full; 401 without a session for a right password on an account with TOTP on
 * (the mfaToken is not shown: the dashboard has no second-factor page yet).
 */
@Catch(ValidationFailed, InvalidCredentials, EmailNotVerified, MfaRequired, RateLimited, ServiceBusy)
export class SignInFormFilter implements ExceptionFilter {
  catch(
    exception: ValidationFailed | InvalidCredentials | EmailNotVerified | MfaRequired | RateLimited | ServiceBusy,
    host: ArgumentsHost,
  ): void {
    const request = host.switchToHttp().getRequest<FastifyRequest & CsrfRequest>();
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const problem = toProblem(exception);
    for (const [name, value] of Object.entries(problem.headers)) void reply.header(name, value);
    const email = (request.body as { email?: unknown } | undefined)?.email;
    const page = {
      title: 'Sign in',
      next: nextQuery(safeNextPath((request.query as { next?: unknown }).next)),
      email: typeof email === 'string' ? email.slice(0, 254) : undefined,
      error: MESSAGES.get(exception.constructor as new () => Error) ?? exception.detail,
    };
    void reply.status(problem.status).view('signin.hbs', withLayout(request, page));
  }
}
