import { Injectable } from '@nestjs/common';
import { DataSource, LessThanOrEqual, type Repository } from 'typeorm';
import { PasskeyChallengeEntity } from '../entities/passkey-challenge.entity.js';
import {
  DELETE_PASSKEY_CHALLENGES_OF_USER,
  SPEND_AUTHENTICATION_CHALLENGE,
  SPEND_REGISTRATION_CHALLENGE,
} from '../sql/passkey-challenges.sql.js';
import { bind, type BoundStatement } from '../sql/sql-statement.js';
import { SqlRunner } from '../sql/sql-runner.js';

/**
 * The WebAuthn challenges the server issued (migration 1765200000000): written when a ceremony
 * begins, spent by one conditional DELETE when it ends, from any process.
 */
@Injectable()
export class PasskeyChallengeRepository {
  private readonly challenges: Repository<PasskeyChallengeEntity>;
  private readonly sql: SqlRunner;

  constructor(dataSource: DataSource) {
    this.challenges = dataSource.getRepository(PasskeyChallengeEntity);
    this.sql = new SqlRunner(dataSource);
  }

  async insert(challenge: PasskeyChallengeEntity): Promise<void> {
    await this.challenges.insert(challenge);
  }

  /** Spends the sign-in challenge with this id if it is still good: its challenge, or null (unknown, spent or expired). */
  async spendAuthentication(id: string, now: number): Promise<string | null> {
    const [row] = await this.sql.rows(SPEND_AUTHENTICATION_CHALLENGE, { id, now });
    return row ? String(row.challenge) : null;
  }

  /** Spends this registration challenge of the account if it is still good; false otherwise. */
  async spendRegistration(challenge: string, userId: string, now: number): Promise<boolean> {
    return (await this.sql.affected(SPEND_REGISTRATION_CHALLENGE, { challenge, userId, now })) === 1;
  }

  /** Forgets the challenges that expired by `now`. */
  async deleteExpired(now: number): Promise<void> {
    await this.challenges.delete({ expiresAt: LessThanOrEqual(now) });
  }

  deleteForUserStatement(userId: string): BoundStatement {
    return bind(DELETE_PASSKEY_CHALLENGES_OF_USER, { userId });
  }
}
