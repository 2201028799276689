import type {} from '@fastify/view';
import { Catch, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { EmailNotVerified, InvalidCredentials, InvalidSecondFactor, MfaRequired, MfaTokenInvalid } from '@app/auth';
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
]);

const SECOND_FACTOR_MESSAGES = new Map<new (...args: never[]) => Error, string>([
  [InvalidSecondFactor, 'That code is not right, or it was used already. Try the current code.'],
  [RateLimited, 'Too many wrong codes. Wait a little, then try again.'],
  [ServiceBusy, 'The service is busy. Try again in a moment.'],
]);

/** The problem's headers on the page, but no authentication challenge: a page has no scheme to answer one with. */
function copyHeaders(reply: FastifyReply, headers: Record<string, string>): void {
  for (const [name, value] of Object.entries(headers)) {
    if (name !== 'WWW-Authenticate') void reply.header(name, value);
  }
}

/** "Two-step verification": the sign-in's mfaToken rides along in a hidden field (it is this browser's, never shown as text). */
function secondFactorPage(request: FastifyRequest & CsrfRequest, mfaToken: string, error?: string): Record<string, unknown> {
  const next = nextQuery(safeNextPath((request.query as { next?: unknown }).next));
  return withLayout(request, { title: 'Two-step verification', next, mfaToken, error });
}

/**
 * A sign-in that did not work shows the form again, with what the person typed (escaped by the
 * template) and why, under the status the API would answer: 400 for a form that does not read,
 * 401 for wrong credentials, 403 for a right password on an unverified address
 * (REQUIRE_EMAIL_VERIFICATION: a new link is mailed), 429 (with Retry-After) past the limit, 503
 * when hashing is full. A right password on an account with TOTP on (`mfa_required`) shows
 * "Two-step verification", which finishes the sign-in with a code (SecondFactorFormFilter).
 */
@Catch(ValidationFailed, InvalidCredentials, EmailNotVerified, MfaRequired, RateLimited, ServiceBusy)
export class SignInFormFilter implements ExceptionFilter {
  catch(
    exception: ValidationFailed | InvalidCredentials | EmailNotVerified | MfaRequired | RateLimited | ServiceBusy,
    host: ArgumentsHost,
  ): void {
    const request = host.switchToHttp().getRequest<FastifyRequest & CsrfRequest>();
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    if (exception instanceof MfaRequired) {
      void reply
        .status(200)
        .header('Cache-Control', 'no-store')
        .view('signin-second-factor.hbs', secondFactorPage(request, exception.problemMembers.mfaToken));
      return;
    }
    const problem = toProblem(exception);
    copyHeaders(reply, problem.headers);
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

/**
 * "Two-step verification" that did not work: a wrong or used code (401), a form that does not
 * read (400) or too many codes for the account (429) show the page again, with the same
 * sign-in (its mfaToken, good for 5 codes) and why; a sign-in that cannot be finished any more
 * (expired, finished, or ended by too many codes) goes back to the sign-in form.
 */
@Catch(ValidationFailed, InvalidSecondFactor, MfaTokenInvalid, RateLimited, ServiceBusy)
export class SecondFactorFormFilter implements ExceptionFilter {
  catch(exception: ValidationFailed | InvalidSecondFactor | MfaTokenInvalid | RateLimited | ServiceBusy, host: ArgumentsHost): void {
    const request = host.switchToHttp().getRequest<FastifyRequest & CsrfRequest>();
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const problem = toProblem(exception);
    copyHeaders(reply, problem.headers);
    void reply.header('Cache-Control', 'no-store');
    const mfaToken = (request.body as { mfaToken?: unknown } | undefined)?.mfaToken;
    if (exception instanceof MfaTokenInvalid || typeof mfaToken !== 'string' || mfaToken.length === 0 || mfaToken.length > 128) {
      const page = {
        title: 'Sign in',
        next: nextQuery(safeNextPath((request.query as { next?: unknown }).next)),
        error: 'This sign-in expired or had too many wrong codes. Sign in again.',
      };
      void reply.status(exception instanceof MfaTokenInvalid ? problem.status : 400).view('signin.hbs', withLayout(request, page));
      return;
    }
    const error = SECOND_FACTOR_MESSAGES.get(exception.constructor as new () => Error) ?? exception.detail;
    void reply.status(problem.status).view('signin-second-factor.hbs', secondFactorPage(request, mfaToken, error));
  }
}
