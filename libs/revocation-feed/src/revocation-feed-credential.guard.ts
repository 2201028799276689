import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import { AppConfig } from '@app/platform';
import { RevocationFeedCredentialRefused, RevocationFeedOff } from './revocation-feed.errors.js';

/** `Authorization: Bearer <secret>`; the scheme is case-insensitive (RFC 6750 §2.1). */
const BEARER = /^Bearer +(\S+) *$/i;

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * The feed's own credential (REVOCATION_FEED_TOKEN), not an access token: the feed serves
 * services, not users. Off (404) when unset. The presented secret is compared in constant
 * time; hashing both sides first makes the comparison's length fixed too, so neither the
 * secret's length nor a matching prefix shows in the timing.
 */
@Injectable()
export class RevocationFeedCredentialGuard implements CanActivate {
  private readonly expected: Buffer | null;

  constructor(config: AppConfig) {
    this.expected = config.revocationFeedToken === null ? null : digest(config.revocationFeedToken);
  }

  canActivate(context: ExecutionContext): true {
    if (this.expected === null) throw new RevocationFeedOff();
    const authorization = context.switchToHttp().getRequest<{ headers: { authorization?: string } }>().headers.authorization;
    if (authorization === undefined) throw new RevocationFeedCredentialRefused(false);
    const presented = BEARER.exec(authorization)?.[1];
    if (presented === undefined || !timingSafeEqual(digest(presented), this.expected)) throw new RevocationFeedCredentialRefused(true);
    return true;
  }
}
