import type {} from '@fastify/view';
import { Catch, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, RateLimited, toProblem, ValidationFailed } from '@app/platform';
import { withLayout } from '../rendering/page.interceptor.js';
import type { CsrfRequest } from '../session/csrf.js';
import { DashboardExceptionFilter } from '../session/dashboard-exception.filter.js';
import type { ViewerRequest } from '../session/viewer.js';

/**
 * The first code of a TOTP enrolment that did not work: a wrong code (400), an empty one, or too
 * many for the account (429) ask for the code again (the secret is not shown again: the app
 * that scanned it has it; "Start again" makes a new one). No enrolment waiting (409: it was
 * confirmed or turned off elsewhere) goes back to the page that says what is on; anything else
 * is the dashboard's error page.
 */
@Catch(DomainError)
export class TwoStepFormFilter implements ExceptionFilter {
  catch(exception: DomainError, host: ArgumentsHost): void {
    const request = host.switchToHttp().getRequest<FastifyRequest & CsrfRequest & ViewerRequest>();
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    void reply.header('Cache-Control', 'no-store');
    if (exception.code === 'totp-not-pending') {
      void reply.redirect('/account/two-step', 303);
      return;
    }
    const known = exception.code === 'totp-code-incorrect' || exception instanceof ValidationFailed || exception instanceof RateLimited;
    if (!known) return new DashboardExceptionFilter().catch(exception, host);
    const problem = toProblem(exception);
    for (const [name, value] of Object.entries(problem.headers)) {
      if (name !== 'WWW-Authenticate') void reply.header(name, value);
    }
    const error =
      exception instanceof RateLimited
        ? 'Too many wrong codes. Wait a little, then try again.'
        : exception instanceof ValidationFailed
          ? 'Enter the 6-digit code from your authenticator app.'
          : 'That code does not match. Check the time on the phone with the app, and enter the current code.';
    const page = { title: 'Turn on two-step verification', section: 'account' as const, confirmOnly: true, error };
    void reply.status(problem.status).view('two-step-enrol.hbs', withLayout(request, page));
  }
}
