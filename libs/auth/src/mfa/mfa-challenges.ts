import { Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import { Clock, PeriodicTask } from '@app/platform';
import { MfaChallengeRepository, type AttemptedMfaChallenge, type BoundStatement, type SessionClient } from '@app/persistence';

/** How long an `mfaToken` lives. */
export const MFA_TOKEN_TTL_MS = 5 * 60_000;
/** Codes that may be tried with one `mfaToken` (counted before each check); then it is ended. */
export const MFA_TOKEN_MAX_ATTEMPTS = 5;
const CLEANUP_INTERVAL_MS = 15 * 60_000;

/**
 * The sign-ins waiting for their second factor (`mfaToken`): 256 random bits, stored as SHA-256
 * in the database (so any process can finish what another began), single-use, valid 5 minutes,
 * ended after 5 codes. Expired ones are deleted in the background.
 */
@Injectable()
export class MfaChallenges implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly cleanup = new PeriodicTask(
    'delete expired sign-in challenges',
    CLEANUP_INTERVAL_MS,
    () => this.challenges.deleteExpiredBefore(this.clock.now()),
    MfaChallenges.name,
  );

  constructor(
    private readonly clock: Clock,
    private readonly challenges: MfaChallengeRepository,
  ) {}

  onApplicationBootstrap(): void {
    this.cleanup.start();
  }

  onApplicationShutdown(): void {
    this.cleanup.stop();
  }

  /** Stores a challenge for the sign-in and returns its token (the only copy). */
  async issue(userId: string, device: { name: string; platform: string }, sessionClient: SessionClient): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    const now = this.clock.now();
    await this.challenges.insert({
      tokenHash: hashToken(token),
      userId,
      deviceName: device.name,
      devicePlatform: device.platform,
      sessionClient,
      createdAt: now,
      expiresAt: now + MFA_TOKEN_TTL_MS,
    });
    return token;
  }

  /** Counts one code attempt on the token's challenge and returns it; null when the token is no longer usable. */
  attempt(token: string): Promise<AttemptedMfaChallenge | null> {
    if (token.length > 128) return Promise.resolve(null);
    return this.challenges.attempt(hashToken(token), this.clock.now(), MFA_TOKEN_MAX_ATTEMPTS);
  }

  /** Spends the challenge, in the group that creates the sign-in's device. */
  spendStatement(challenge: AttemptedMfaChallenge): BoundStatement {
    return this.challenges.spendStatement(challenge.id, this.clock.now());
  }
}

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
