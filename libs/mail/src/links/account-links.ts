import { Injectable } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import { AccountTokenRepository, type AccountTokenPurpose, type BoundStatement } from '@app/persistence';

/** A link token just made: the token goes into the mail, the statements into the caller's transaction. */
export interface IssuedLink {
  readonly token: string;
  readonly statements: BoundStatement[];
}

/** 256 bits from the CSPRNG (API.md § Accounts: Mail). */
const TOKEN_BYTES = 32;
/** base64url of 32 bytes: what a presented token must look like before anything is looked up. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/**
 * The single-use links mailed to accounts: 256 random bits, of which the database keeps only the
 * SHA-256 (a database reader cannot use a pending link), each newer link of a purpose making the
 * older ones useless.
 */
@Injectable()
export class AccountLinks {
  constructor(private readonly tokens: AccountTokenRepository) {}

  issue(userId: string, purpose: AccountTokenPurpose, now: number, ttlMs: number, newEmail: string | null = null): IssuedLink {
    const token = randomBytes(TOKEN_BYTES).toString('base64url');
    return {
      token,
      statements: this.tokens.issueStatements({
        userId,
        purpose,
        tokenHash: hashLinkToken(token),
        newEmail,
        createdAt: now,
        expiresAt: now + ttlMs,
      }),
    };
  }

  /** The usable token behind a presented one (spends nothing); null for anything else, malformed included. */
  findUsable(presented: unknown, purpose: AccountTokenPurpose, now: number) {
    if (typeof presented !== 'string' || !TOKEN_SHAPE.test(presented)) return Promise.resolve(null);
    return this.tokens.findUsable(hashLinkToken(presented), purpose, now);
  }

  /** The statement that spends it (in the caller's transaction; rolls it back if another use won). */
  spend(id: string, now: number): BoundStatement {
    return this.tokens.spendStatement(id, now);
  }
}

export function hashLinkToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
