import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { Statement } from '../atomic-statements.js';
import type { AccountTokenPurpose } from '../entities/account-token.entity.js';
import { executeSql } from '../sql.js';

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
  constructor(private readonly dataSource: DataSource) {}

  /**
   * The statements that issue a token: every older unspent token of the same account and
   * purpose becomes useless ("a newer request makes older links useless"), then the new one.
   */
  issueStatements(token: NewAccountToken): Statement[] {
    return [
      {
        sql: 'UPDATE account_tokens SET spent_at = :now WHERE user_id = :userId AND purpose = :purpose AND spent_at IS NULL',
        parameters: { now: token.createdAt, userId: token.userId, purpose: token.purpose },
      },
      {
        sql: `INSERT INTO account_tokens (id, user_id, purpose, token_hash, new_email, created_at, expires_at, spent_at)
              VALUES (:id, :userId, :purpose, :tokenHash, :newEmail, :createdAt, :expiresAt, NULL)`,
        parameters: { id: randomUUID(), newEmail: null, ...token },
      },
    ];
  }

  /** The unspent, unexpired token with this hash and purpose, or null. Spends nothing. */
  async findUsable(tokenHash: string, purpose: AccountTokenPurpose, now: number): Promise<UsableAccountToken | null> {
    const { rows } = await executeSql(
      this.dataSource,
      `SELECT id, user_id, new_email FROM account_tokens
       WHERE token_hash = :tokenHash AND purpose = :purpose AND spent_at IS NULL AND expires_at > :now`,
      { tokenHash, purpose, now },
    );
    const row = rows[0];
    return row
      ? { id: String(row.id), userId: String(row.user_id), newEmail: row.new_email === null ? null : String(row.new_email) }
      : null;
  }

  /** Spends the token if it is still usable; in a group, `mustChange` rolls the group back when another use won. */
  spendStatement(id: string, now: number): Statement {
    return {
      sql: 'UPDATE account_tokens SET spent_at = :now WHERE id = :id AND spent_at IS NULL AND expires_at > :now',
      parameters: { id, now },
      mustChange: true,
    };
  }

  /** Makes every pending link of the account useless (its address changed: links mailed to the old one must die). */
  spendAllOfUserStatement(userId: string, now: number): Statement {
    return { sql: 'UPDATE account_tokens SET spent_at = :now WHERE user_id = :userId AND spent_at IS NULL', parameters: { userId, now } };
  }

  deleteForUserStatement(userId: string): Statement {
    return { sql: 'DELETE FROM account_tokens WHERE user_id = :userId', parameters: { userId } };
  }

  /** Forgets tokens that expired before `cutoff`; returns how many. */
  async deleteExpiredBefore(cutoff: number): Promise<number> {
    const { affected } = await executeSql(this.dataSource, 'DELETE FROM account_tokens WHERE expires_at < :cutoff', { cutoff });
    return affected;
  }
}
