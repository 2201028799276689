import { Body, Controller, Header, HttpCode, Param, Post, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ApiProblemResponse, Public, uuidParam } from '@app/platform';
import type { SsfReceiverEntity } from '@app/persistence';
import { CurrentReceiver } from '../receivers/current-receiver.decorator.js';
import { SsfReceiverGuard } from '../receivers/ssf-receiver.guard.js';
import { SsfStreamNotFound } from '../ssf.errors.js';
import { POLL_REQUEST_SCHEMA, POLL_RESPONSE_SCHEMA } from '../transmitter/ssf-openapi.js';
import { parsePollRequest, SsfPollService, type PollResponse } from './ssf-poll.service.js';

/** `POST /ssf/poll/:id`: a poll stream's RFC 8936 endpoint (its `delivery.endpoint_url`). */
@ApiTags('shared signals')
@Controller('ssf/poll')
export class SsfPollController {
  constructor(private readonly polls: SsfPollService) {}

  @Public()
  @UseGuards(SsfReceiverGuard)
  @Post(':id')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    operationId: 'pollSsfStream',
    summary: 'Acknowledge SETs and receive the next ones (RFC 8936)',
    description: 'Unacknowledged SETs are offered again; without `returnImmediately` an empty answer is held up to 30 s.',
  })
  @ApiBearerAuth('ssfReceiverToken')
  @ApiParam({ name: 'id', description: 'The stream id.', schema: { type: 'string', format: 'uuid' } })
  @ApiBody({ schema: POLL_REQUEST_SCHEMA })
  @ApiOkResponse({ description: 'SETs by jti, and whether more are waiting.', schema: POLL_RESPONSE_SCHEMA })
  @ApiProblemResponse(400, 'A malformed poll request: `errors` names each refused member.')
  @ApiProblemResponse(401, 'No or a wrong receiver token.', 'WWW-Authenticate')
  @ApiProblemResponse(404, 'No poll stream of yours has this id, or the transmitter is off.')
  @ApiProblemResponse(503, 'The database is unreachable.')
  async poll(
    @CurrentReceiver() receiver: SsfReceiverEntity,
    @Param('id', uuidParam(() => new SsfStreamNotFound())) streamId: string,
    @Body() body: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<PollResponse> {
    const request = parsePollRequest(body);
    // A receiver that hangs up is not waited for.
    const left = new AbortController();
    const onClose = () => left.abort();
    reply.raw.once('close', onClose);
    try {
      return await this.polls.poll(receiver, streamId, request, left.signal);
    } finally {
      reply.raw.off('close', onClose);
    }
  }
}
