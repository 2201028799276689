import type {} from '@fastify/view';
import { Catch, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { LinkTokenInvalid } from '@app/accounts';
import { toProblem } from '@app/platform';
import { SignInRequired, safeNextPath } from './sign-in-required.error.js';

const HEADINGS: Record<number, string> = {
  400: 'That did not work',
  403: 'Request refused',
  404: 'Not found',
  409: 'Not possible right now',
  413: 'Too large',
  429: 'Too many attempts',
  503: 'Temporarily unavailable',
};

/**
 * Errors in the dashboard are pages, not JSON: a missing session redirects to sign-in,
 * everything else renders the error page with the status the API would have used.
 */
@Catch()
export class DashboardExceptionFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    if (exception instanceof SignInRequired) {
      const next = request.method === 'GET' ? safeNextPath(request.url) : undefined;
      void reply.redirect(next && next !== '/' ? `/signin?next=${encodeURIComponent(next)}` : '/signin', 303);
      return;
    }
    const problem = toProblem(exception);
    const detail = String(problem.body.detail);
    for (const [name, value] of Object.entries(problem.headers)) {
      if (name !== 'WWW-Authenticate') void reply.header(name, value);
    }
    void reply.status(problem.status).view('error.hbs', {
      title: HEADINGS[problem.status] ?? 'Error',
      heading: HEADINGS[problem.status] ?? 'Something went wrong',
      detail,
      linkInvalid: exception instanceof LinkTokenInvalid,
    });
  }
}
