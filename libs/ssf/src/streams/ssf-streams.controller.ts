import { applyDecorators, Body, Controller, Delete, Get, Header, HttpCode, Patch, Post, Put, Query, Req, UseGuards } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { ApiProblemResponse, AppConfig, Public } from '@app/platform';
import type { SsfReceiverEntity } from '@app/persistence';
import { CurrentReceiver } from '../receivers/current-receiver.decorator.js';
import { SsfReceiverGuard } from '../receivers/ssf-receiver.guard.js';
import {
  STREAM_CONFIGURATION_SCHEMA,
  STREAM_REQUEST_SCHEMA,
  STREAM_STATUS_SCHEMA,
  VERIFICATION_REQUEST_SCHEMA,
} from '../transmitter/ssf-openapi.js';
import { transmitterBaseUrl } from '../transmitter/transmitter-base-url.js';
import { SsfStreamsService, type StreamStatus } from './ssf-streams.service.js';
import type { StreamConfiguration } from './stream-configuration.js';

const STREAM_ID_QUERY = { name: 'stream_id', required: true, schema: { type: 'string', format: 'uuid' } } as const;

/** The errors every stream-management route can answer. */
function ApiStreamErrors(notFound: string): MethodDecorator {
  return applyDecorators(
    ApiProblemResponse(400, 'A malformed request: `errors` names each refused member.'),
    ApiProblemResponse(401, 'No or a wrong receiver token.', 'WWW-Authenticate'),
    ApiProblemResponse(404, notFound),
    ApiProblemResponse(503, 'The database is unreachable.'),
  );
}

const NOT_FOUND = 'No stream of yours has this id (another receiver’s is unknown too), or the transmitter is off.';

/**
 * SSF 1.0 §8.1: stream configuration (create, read, update, replace, delete), status and
 * verification, for the receiver whose token the request carries (SsfReceiverGuard). Public as
 * far as access tokens go; the receiver token is checked before the body is looked at. Bodies
 * are read by the service (SSF's snake_case members and their echo rules), never a 500.
 */
@ApiTags('shared signals')
@ApiBearerAuth('ssfReceiverToken')
@Public()
@UseGuards(SsfReceiverGuard)
@Controller('ssf')
export class SsfStreamsController {
  constructor(
    private readonly config: AppConfig,
    private readonly streams: SsfStreamsService,
  ) {}

  @Post('streams')
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ operationId: 'createSsfStream', summary: 'Create a stream (SSF 1.0 §8.1.1.1)' })
  @ApiBody({ schema: STREAM_REQUEST_SCHEMA })
  @ApiCreatedResponse({ description: 'The new stream, enabled.', schema: STREAM_CONFIGURATION_SCHEMA })
  @ApiStreamErrors('The transmitter is off.')
  @ApiProblemResponse(409, 'The receiver already has the most streams it may have (10).')
  create(
    @CurrentReceiver() receiver: SsfReceiverEntity,
    @Body() body: unknown,
    @Req() request: FastifyRequest,
  ): Promise<StreamConfiguration> {
    return this.streams.create(receiver, body, transmitterBaseUrl(this.config, request));
  }

  @Get('streams')
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ operationId: 'readSsfStreams', summary: 'Read one stream, or all of yours without `stream_id` (SSF 1.0 §8.1.1.2)' })
  @ApiQuery({ ...STREAM_ID_QUERY, required: false })
  @ApiOkResponse({
    description: 'The stream; an array of all your streams without `stream_id`.',
    schema: { oneOf: [STREAM_CONFIGURATION_SCHEMA, { type: 'array', items: STREAM_CONFIGURATION_SCHEMA }] },
  })
  @ApiStreamErrors(NOT_FOUND)
  read(
    @CurrentReceiver() receiver: SsfReceiverEntity,
    @Query('stream_id') streamId: unknown,
    @Req() request: FastifyRequest,
  ): Promise<StreamConfiguration | StreamConfiguration[]> {
    return this.streams.read(receiver, streamId, transmitterBaseUrl(this.config, request));
  }

  @Patch('streams')
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ operationId: 'updateSsfStream', summary: 'Update a stream: the members given change (SSF 1.0 §8.1.1.3)' })
  @ApiBody({ schema: STREAM_REQUEST_SCHEMA })
  @ApiOkResponse({ description: 'The stream as it is now.', schema: STREAM_CONFIGURATION_SCHEMA })
  @ApiStreamErrors(NOT_FOUND)
  update(
    @CurrentReceiver() receiver: SsfReceiverEntity,
    @Body() body: unknown,
    @Req() request: FastifyRequest,
  ): Promise<StreamConfiguration> {
    return this.streams.change(receiver, body, 'update', transmitterBaseUrl(this.config, request));
  }

  @Put('streams')
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ operationId: 'replaceSsfStream', summary: 'Replace a stream’s receiver-supplied members (SSF 1.0 §8.1.1.4)' })
  @ApiBody({ schema: STREAM_REQUEST_SCHEMA })
  @ApiOkResponse({ description: 'The stream as it is now.', schema: STREAM_CONFIGURATION_SCHEMA })
  @ApiStreamErrors(NOT_FOUND)
  replace(
    @CurrentReceiver() receiver: SsfReceiverEntity,
    @Body() body: unknown,
    @Req() request: FastifyRequest,
  ): Promise<StreamConfiguration> {
    return this.streams.change(receiver, body, 'replace', transmitterBaseUrl(this.config, request));
  }

  @Delete('streams')
  @HttpCode(204)
  @ApiOperation({ operationId: 'deleteSsfStream', summary: 'Delete a stream and the SETs it holds (SSF 1.0 §8.1.1.5)' })
  @ApiQuery(STREAM_ID_QUERY)
  @ApiNoContentResponse({ description: 'Deleted.' })
  @ApiStreamErrors(NOT_FOUND)
  async delete(@CurrentReceiver() receiver: SsfReceiverEntity, @Query('stream_id') streamId: unknown): Promise<void> {
    await this.streams.delete(receiver, streamId);
  }

  @Get('status')
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ operationId: 'readSsfStreamStatus', summary: 'A stream’s status (SSF 1.0 §8.1.2.1)' })
  @ApiQuery(STREAM_ID_QUERY)
  @ApiOkResponse({ description: 'enabled, paused (events held) or disabled (events dropped).', schema: STREAM_STATUS_SCHEMA })
  @ApiStreamErrors(NOT_FOUND)
  status(@CurrentReceiver() receiver: SsfReceiverEntity, @Query('stream_id') streamId: unknown): Promise<StreamStatus> {
    return this.streams.status(receiver, streamId);
  }

  @Post('status')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ operationId: 'updateSsfStreamStatus', summary: 'Enable, pause or disable a stream (SSF 1.0 §8.1.2.2)' })
  @ApiBody({ schema: STREAM_STATUS_SCHEMA })
  @ApiOkResponse({ description: 'The status as it is now.', schema: STREAM_STATUS_SCHEMA })
  @ApiStreamErrors(NOT_FOUND)
  updateStatus(@CurrentReceiver() receiver: SsfReceiverEntity, @Body() body: unknown): Promise<StreamStatus> {
    return this.streams.setStatus(receiver, body);
  }

  @Post('verify')
  @HttpCode(204)
  @ApiOperation({ operationId: 'verifySsfStream', summary: 'Ask for a verification event (SSF 1.0 §8.1.4.2)' })
  @ApiBody({ schema: VERIFICATION_REQUEST_SCHEMA })
  @ApiNoContentResponse({ description: 'A verification SET carrying `state` is queued for the stream.' })
  @ApiStreamErrors(NOT_FOUND)
  @ApiProblemResponse(409, 'The stream is disabled.')
  async verify(@CurrentReceiver() receiver: SsfReceiverEntity, @Body() body: unknown): Promise<void> {
    await this.streams.verify(receiver, body);
  }
}
