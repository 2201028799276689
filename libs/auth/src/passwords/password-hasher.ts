import { Injectable, type OnModuleInit } from '@nestjs/common';
import argon2 from 'argon2';
import { availableParallelism } from 'node:os';
import { AppConfig } from '@app/platform';
import { FairWorkQueue } from './fair-work-queue.js';

/**
 * argon2id with OWASP's minimum parameters (19 MiB, 2 passes, 1 lane). Hashing runs in
 * libuv's thread pool, off the event loop.
 */
const OPTIONS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

/** One client may hold this share of the queue at most. */
const PER_CLIENT_SHARE = 8;

/**
 * Every hash and verification goes through one FairWorkQueue: at most cores − 1 at once, so a
 * login storm leaves a core to the event loop and guarded requests keep their latency; the
 * waiting work is served round-robin by client (IP), so one client's burst does not delay
 * other clients' sign-ins; and the wait is bounded (PASSWORD_QUEUE_LIMIT in all, an eighth of
 * it per client): past that, ServiceBusy (503 with Retry-After).
 */
@Injectable()
export class PasswordHasher implements OnModuleInit {
  private dummyHash = '';
  private readonly queue: FairWorkQueue;

  constructor(config: AppConfig) {
    const limit = config.passwordQueueLimit;
    this.queue = new FairWorkQueue(Math.max(1, availableParallelism() - 1), limit, Math.max(1, Math.ceil(limit / PER_CLIENT_SHARE)));
  }

  async onModuleInit(): Promise<void> {
    // Verified against when the email is unknown, so that case costs the same as a wrong password.
    this.dummyHash = await argon2.hash('not-a-real-password-0123456789', OPTIONS);
  }

  /** Hashes and verifications waiting for their turn (the metrics' queue depth). */
  get queueDepth(): number {
    return this.queue.size;
  }

  /** Hashes a new password; `client` is whose turn it takes (the client IP). */
  hash(password: string, client: string): Promise<string> {
    return this.queue.run(client, () => argon2.hash(password, OPTIONS));
  }

  async verify(hash: string, password: string, client: string): Promise<boolean> {
    return this.queue.run(client, async () => {
      try {
        return await argon2.verify(hash, password);
      } catch {
        return false;
      }
    });
  }

  /** Spends the time of one verification and fails: for logins with an unknown email. */
  async verifyNothing(password: string, client: string): Promise<false> {
    await this.verify(this.dummyHash, password, client);
    return false;
  }
}
