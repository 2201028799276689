import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource, LessThan, type Repository } from 'typeorm';
import { MfaChallengeEntity } from '../entities/mfa-challenge.entity.js';
import {
  ATTEMPT_MFA_CHALLENGE,
  DELETE_MFA_CHALLENGES_OF_USER,
  INSERT_MFA_CHALLENGE,
  SPEND_MFA_CHALLENGE,
} from '../sql/mfa-challenges.sql.js';
import { SqlRunner } from '../sql/sql-runner.js';
import { bind, type BoundStatement } from '../sql/sql-statement.js';

export interface NewMfaChallenge {
  readonly tokenHash: string;
  readonly userId: string;
  readonly deviceName: string;
  readonly devicePlatform: string;
  readonly sessionClient: string;
  readonly createdAt: number;
  readonly expiresAt: number;
}

/** A challenge a code may be tried against (its attempt already counted). */
export interface AttemptedMfaChallenge {
  readonly id: string;
  readonly userId: string;
  readonly deviceName: string;
  readonly devicePlatform: string;
  readonly sessionClient: string;
  readonly createdAt: number;
}

/** Sign-ins waiting for their second factor (migration 1765100000000), looked up by the SHA-256 of the `mfaToken`. */
@Injectable()
export class MfaChallengeRepository {
  private readonly challenges: Repository<MfaChallengeEntity>;
  private readonly sql: SqlRunner;

  constructor(dataSource: DataSource) {
    this.challenges = dataSource.getRepository(MfaChallengeEntity);
    this.sql = new SqlRunner(dataSource);
  }

  async insert(challenge: NewMfaChallenge): Promise<void> {
    const { createdAt, ...rest } = challenge;
    await this.sql.run(INSERT_MFA_CHALLENGE, { id: randomUUID(), ...rest, now: createdAt });
  }

  /**
   * Counts one code attempt on the usable challenge with this hash and returns it; null when
   * there is none (unknown, expired, spent, or `maxAttempts` codes already tried).
   */
  async attempt(tokenHash: string, now: number, maxAttempts: number): Promise<AttemptedMfaChallenge | null> {
    const [row] = await this.sql.rows(ATTEMPT_MFA_CHALLENGE, { tokenHash, now, maxAttempts });
    if (!row) return null;
    return {
      id: String(row.id),
      userId: String(row.user_id),
      deviceName: String(row.device_name),
      devicePlatform: String(row.device_platform),
      sessionClient: String(row.session_client),
      createdAt: Number(row.created_at),
    };
  }

  /** Spends the challenge; in a group, rolls it back when another finish won. */
  spendStatement(id: string, now: number): BoundStatement {
    return bind(SPEND_MFA_CHALLENGE, { id, now }, { mustChange: true });
  }

  deleteForUserStatement(userId: string): BoundStatement {
    return bind(DELETE_MFA_CHALLENGES_OF_USER, { userId });
  }

  /** Forgets challenges that expired before `cutoff`; returns how many. */
  async deleteExpiredBefore(cutoff: number): Promise<number> {
    return (await this.challenges.delete({ expiresAt: LessThan(cutoff) })).affected ?? 0;
  }
}
