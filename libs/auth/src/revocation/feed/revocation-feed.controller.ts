import { Controller, Get, Header, Query, Res, UseGuards } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { Public, ValidationFailed, type FieldError } from '@app/platform';
import type { RevocationLogPosition } from '@app/persistence';
import { RevocationFeedCredentialGuard } from './revocation-feed-credential.guard.js';
import { decodeFeedCursor } from './revocation-feed-cursor.js';
import { toRevocationFeedResponse, type RevocationFeedResponse } from './revocation-feed-response.js';
import { FEED_MAX_WAIT_SECONDS, RevocationFeedService } from './revocation-feed.service.js';

const WAIT = /^(0|[1-9][0-9]?)$/;

/**
 * GET /revocations?after=<cursor>&wait=<seconds> (API.md § Revocation outside the API): for
 * services that verify access tokens themselves. Public as far as access tokens go: it has
 * its own credential (RevocationFeedCredentialGuard), checked before the query is looked at.
 */
@Controller('revocations')
export class RevocationFeedController {
  constructor(private readonly feed: RevocationFeedService) {}

  @Public()
  @UseGuards(RevocationFeedCredentialGuard)
  @Get()
  @Header('Cache-Control', 'no-store')
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

function parseQuery(after: unknown, wait: unknown): { after: RevocationLogPosition | null; waitSeconds: number } {
  const errors: FieldError[] = [];
  let position: RevocationLogPosition | null = null;
  if (after !== undefined) {
    position = typeof after === 'string' ? (decodeFeedCursor(after) ?? null) : null;
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
