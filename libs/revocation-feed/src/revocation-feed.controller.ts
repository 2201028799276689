import { Controller, Get, Header, Query, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ApiProblemResponse, Public, ValidationFailed, type FieldError } from '@app/platform';
import { RevocationFeedCredentialGuard } from './revocation-feed-credential.guard.js';
import { decodeFeedCursorWithKeys, type FeedCursor } from './revocation-feed-cursor.js';
import { toRevocationFeedResponse, type RevocationFeedResponse } from './revocation-feed-response.js';
import { FEED_MAX_WAIT_SECONDS, RevocationFeedService } from './revocation-feed.service.js';

const WAIT = /^(0|[1-9][0-9]?)$/;

/**
 * GET /revocations?after=<cursor>&wait=<seconds> (API.md § Revocation outside the API): for
 * services that verify access tokens themselves. Public as far as access tokens go: it has
 * its own credential (RevocationFeedCredentialGuard), checked before the query is looked at.
 */
@ApiTags('revocation feed')
@Controller('revocations')
export class RevocationFeedController {
  constructor(private readonly feed: RevocationFeedService) {}

  @Public()
  @UseGuards(RevocationFeedCredentialGuard)
  @Get()
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    operationId: 'getRevocations',
    summary: 'Revoked devices whose access tokens may still be alive (for services outside)',
    description:
      'Every device revoked after `after` (all such devices without it), at most 1000 per answer; `wait` holds the request until something new arrives (long poll). Off (404) unless `REVOCATION_FEED_TOKEN` is set.',
  })
  @ApiBearerAuth('revocationFeedToken')
  @ApiQuery({ name: 'after', required: false, description: 'An opaque cursor this feed returned.', schema: { type: 'string' } })
  @ApiQuery({
    name: 'wait',
    required: false,
    description: 'Seconds to hold the request (0–30).',
    schema: { type: 'integer', minimum: 0, maximum: 30 },
  })
  @ApiOkResponse({
    description: 'Revocations after the cursor, and the cursor to ask from next.',
    schema: {
      type: 'object',
      additionalProperties: false,
      required: ['revoked', 'revokedKeys', 'cursor'],
      properties: {
        revoked: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['deviceId', 'userId', 'revokedAt', 'until'],
            properties: {
              deviceId: { type: 'string', format: 'uuid' },
              userId: { type: 'string', format: 'uuid' },
              revokedAt: { type: 'string', format: 'date-time' },
              until: { type: 'string', format: 'date-time', description: 'When the last of its access tokens expires.' },
            },
          },
        },
        revokedKeys: {
          type: 'array',
          description: 'Signing keys revoked whose tokens may still be alive: refuse tokens with these `kid`s.',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['kid', 'revokedAt'],
            properties: { kid: { type: 'string' }, revokedAt: { type: 'string', format: 'date-time' } },
          },
        },
        cursor: { type: 'string' },
      },
    },
  })
  @ApiProblemResponse(400, 'A malformed `after` or `wait`.')
  @ApiProblemResponse(401, 'No or a wrong REVOCATION_FEED_TOKEN.', 'WWW-Authenticate')
  @ApiProblemResponse(404, 'The feed is off: REVOCATION_FEED_TOKEN is unset.')
  @ApiProblemResponse(503, 'The database is unreachable.')
  async revocations(
    @Query('after') after: unknown,
    @Query('wait') wait: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<RevocationFeedResponse> {
    const query = parseQuery(after, wait);
    // A follower that hangs up is not waited for.
    const left = new AbortController();
    const onClose = () => left.abort();
    reply.raw.once('close', onClose);
    try {
      return toRevocationFeedResponse(await this.feed.read(query.after, query.waitSeconds, left.signal));
    } finally {
      reply.raw.off('close', onClose);
    }
  }
}

function parseQuery(after: unknown, wait: unknown): { after: FeedCursor | null; waitSeconds: number } {
  const errors: FieldError[] = [];
  let position: FeedCursor | null = null;
  if (after !== undefined) {
    position = typeof after === 'string' ? (decodeFeedCursorWithKeys(after) ?? null) : null;
    if (position === null) errors.push({ field: 'after', message: 'must be a cursor this feed returned' });
  }
  let waitSeconds = 0;
  if (wait !== undefined) {
    waitSeconds = typeof wait === 'string' && WAIT.test(wait) ? Number(wait) : NaN;
    if (!(waitSeconds <= FEED_MAX_WAIT_SECONDS))
      errors.push({ field: 'wait', message: `must be whole seconds from 0 to ${FEED_MAX_WAIT_SECONDS}` });
  }
  if (errors.length > 0) throw new ValidationFailed(errors);
  return { after: position, waitSeconds };
}
