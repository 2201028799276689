import { Catch, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { StepUpRequired } from '@app/auth';
import { toProblem, ValidationFailed } from '@app/platform';
import { stepUpReturnForPath } from '../step-up/step-up.js';

/** What the passkey script shows, by the problem's status (the API's details name API routes). */
const MESSAGES: Record<number, string> = {
  400: 'That did not work. Reload the page and try again.',
  401: 'The passkey could not be verified. Try again.',
  403: 'The page expired. Reload it and try again.',
  404: 'No such passkey.',
  409: 'This passkey is on an account already.',
  429: 'Too many attempts. Wait a little, then try again.',
  503: 'The service is busy. Try again in a moment.',
};

/**
 * The JSON routes the passkey script (apps/admin/public/passkeys.js) posts to answer JSON, not
 * pages: `{ error }` (a sentence to show) under the API's status, or `{ redirect }` to "Confirm
 * it's you" when the form needs a recent sign-in (nothing changed). Never the exception's own
 * text for an unexpected fault.
 */
@Catch()
export class ScriptAnswerFilter implements ExceptionFilter {
  private readonly logger = new Logger(ScriptAnswerFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const request = host.switchToHttp().getRequest<FastifyRequest>();
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    void reply.header('Cache-Control', 'no-store');
    if (exception instanceof StepUpRequired) {
      void reply.status(401).send({ redirect: `/account/confirm-identity?return=${stepUpReturnForPath(request.url.split('?')[0])}` });
      return;
    }
    const problem = toProblem(exception);
    for (const [name, value] of Object.entries(problem.headers)) {
      if (name !== 'WWW-Authenticate') void reply.header(name, value);
    }
    // The error's name only: a message can quote what was sent (an assertion, a code).
    if (problem.status >= 500) this.logger.error(`passkey script route ${request.url.split('?')[0]} failed: ${errorName(exception)}`);
    const error = exception instanceof ValidationFailed ? exception.detail : MESSAGES[problem.status];
    void reply.status(problem.status).send({ error: error ?? 'Something went wrong. Try again later.' });
  }
}

function errorName(exception: unknown): string {
  return exception instanceof Error ? exception.name : typeof exception;
}
