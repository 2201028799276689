import { Injectable, type OnModuleInit } from '@nestjs/common';
import argon2 from 'argon2';

/**
 * argon2id with OWASP's minimum parameters (19 MiB, 2 passes, 1 lane). Hashing runs in
 * libuv's thread pool, so a login storm does not stall the event loop.
 */
const OPTIONS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

@Injectable()
export class PasswordHasher implements OnModuleInit {
  private dummyHash = '';

  async onModuleInit(): Promise<void> {
    // Verified against when the email is unknown, so that case costs the same as a wrong password.
    this.dummyHash = await argon2.hash('not-a-real-password-0123456789', OPTIONS);
  }

  hash(password: string): Promise<string> {
    return argon2.hash(password, OPTIONS);
  }

  async verify(hash: string, password: string): Promise<boolean> {
    try {
      return await argon2.verify(hash, password);
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
