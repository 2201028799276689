import { Injectable, type OnModuleInit } from '@nestjs/common';
import argon2 from 'argon2';
import { availableParallelism } from 'node:os';
import pLimit from 'p-limit';

/**
 * argon2id with OWASP's minimum parameters (19 MiB, 2 passes, 1 lane). Hashing runs in
 * libuv's thread pool, off the event loop.
 */
const OPTIONS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

/**
 * At most cores − 1 hashes at once, so a login storm leaves a core to the event loop and
 * guarded requests keep their latency; further sign-ins queue (they are CPU-bound anyway).
 */
const hashing = pLimit(Math.max(1, availableParallelism() - 1));

@Injectable()
export class PasswordHasher implements OnModuleInit {
  private dummyHash = '';

  async onModuleInit(): Promise<void> {
    // Verified against when the email is unknown, so that case costs the same as a wrong password.
    this.dummyHash = await this.hash('not-a-real-password-0123456789');
  }

  hash(password: string): Promise<string> {
    return hashing(() => argon2.hash(password, OPTIONS));
  }

  async verify(hash: string, password: string): Promise<boolean> {
    try {
      return await hashing(() => argon2.verify(hash, password));
    } catch {
      return false;
    }
  }

  /** Spends the time of one verification and fails: for logins with an unknown email. */
  async verifyNothing(password: string): Promise<false> {
    await this.verify(this.dummyHash, password);
    return false;
  }
}
