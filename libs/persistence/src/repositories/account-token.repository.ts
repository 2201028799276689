import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource, IsNull, LessThan, MoreThan, type Repository } from 'typeorm';
import { AccountTokenEntity, type AccountTokenPurpose } from '../entities/account-token.entity.js';
import {
  DELETE_ACCOUNT_TOKENS_OF_USER,
  INSERT_ACCOUNT_TOKEN,
  SPEND_ACCOUNT_TOKEN,
  SPEND_ALL_OF_USER,
  SPEND_UNSPENT_OF_PURPOSE,
} from '../sql/account-tokens.sql.js';
import { bind, type BoundStatement } from '../sql/sql-statement.js';

/** A new link token, stored by its hash only. */
export interface NewAccountToken {
  readonly userId: string;
  readonly purpose: AccountTokenPurpose;
  readonly tokenHash: string;
  readonly newEmail?: string | null;
  readonly createdAt: number;
  readonly expiresAt: number;
}

/** What a usable link token is for. */
export interface UsableAccountToken {
  readonly id: string;
  readonly userId: string;
  readonly newEmail: string | null;
}

/**
 * The single-use links mailed to accounts (migration 1765000000000). Looked up by the SHA-256 of
 * the presented token (an equality on a hash the caller cannot steer, so the index lookup leaks
 * nothing useful by its timing); spent by one conditional UPDATE, so of two concurrent uses
 * exactly one wins.
 */
@Injectable()
export class AccountTokenRepository {
  private readonly tokens: Repository<AccountTokenEntity>;

  constructor(dataSource: DataSource) {
    this.tokens = dataSource.getRepository(AccountTokenEntity);
  }

  /**
   * The statements that issue a token: every older unspent token of the same account and
   * purpose becomes useless ("a newer request makes older links useless"), then the new one.
   */
  issueStatements(token: NewAccountToken): BoundStatement[] {
    const { userId, purpose, tokenHash, createdAt, expiresAt } = token;
    return [
      bind(SPEND_UNSPENT_OF_PURPOSE, { userId, purpose, now: createdAt }),
      bind(INSERT_ACCOUNT_TOKEN, { id: randomUUID(), userId, purpose, tokenHash, newEmail: token.newEmail ?? null, createdAt, expiresAt }),
    ];
  }

  /** The unspent, unexpired token with this hash and purpose, or null. Spends nothing. */
  async findUsable(tokenHash: string, purpose: AccountTokenPurpose, now: number): Promise<UsableAccountToken | null> {
    const token = await this.tokens.findOneBy({ tokenHash, purpose, spentAt: IsNull(), expiresAt: MoreThan(now) });
    return token ? { id: token.id, userId: token.userId, newEmail: token.newEmail } : null;
  }

  /** Spends the token if it is still usable; in a group, it rolls the group back when another use won. */
  spendStatement(id: string, now: number): BoundStatement {
    return bind(SPEND_ACCOUNT_TOKEN, { id, now }, { mustChange: true });
  }

  /** Makes every pending link of the account useless (its address changed: links mailed to the old one must die). */
  spendAllOfUserStatement(userId: string, now: number): BoundStatement {
    return bind(SPEND_ALL_OF_USER, { userId, now });
  }

  deleteForUserStatement(userId: string): BoundStatement {
    return bind(DELETE_ACCOUNT_TOKENS_OF_USER, { userId });
  }

  /** Forgets tokens that expired before `cutoff`; returns how many. */
  async deleteExpiredBefore(cutoff: number): Promise<number> {
    return (await this.tokens.delete({ expiresAt: LessThan(cutoff) })).affected ?? 0;
  }
}
