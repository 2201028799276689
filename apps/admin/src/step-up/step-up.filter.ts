import { Catch, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { StepUpRequired } from '@app/auth';
import { stepUpReturnForPath } from './step-up.js';

/**
 * A sensitive form refused for an old sign-in (@RequiresStepUp, STEP_UP_MAX_AGE): the browser
 * goes to "Confirm it's you", which brings it back to the page the form was on. Nothing changed.
 */
@Catch(StepUpRequired)
export class StepUpFilter implements ExceptionFilter {
  catch(_exception: StepUpRequired, host: ArgumentsHost): void {
    const request = host.switchToHttp().getRequest<FastifyRequest>();
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    void reply.redirect(`/account/confirm-identity?return=${stepUpReturnForPath(request.url.split('?')[0])}`, 303);
  }
}
