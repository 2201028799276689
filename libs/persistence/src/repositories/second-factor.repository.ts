import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource, IsNull, Not, type Repository } from 'typeorm';
import { RecoveryCodeEntity } from '../entities/recovery-code.entity.js';
import { TotpFactorEntity } from '../entities/totp-factor.entity.js';
import { DELETE_RECOVERY_CODES_OF_USER, INSERT_RECOVERY_CODE, USE_RECOVERY_CODE } from '../sql/recovery-codes.sql.js';
import { SqlRunner } from '../sql/sql-runner.js';
import { bind, type BoundStatement } from '../sql/sql-statement.js';
import { CONFIRM_TOTP, DELETE_TOTP_OF_USER, ENROL_TOTP, USE_TOTP_STEP } from '../sql/totp-factors.sql.js';

/**
 * An account's TOTP factor and recovery codes (migration 1765100000000). Every change that must
 * happen once (a time step, a recovery code) is one conditional statement, so of two
 * concurrent uses exactly one wins.
 */
@Injectable()
export class SecondFactorRepository {
  private readonly factors: Repository<TotpFactorEntity>;
  private readonly codes: Repository<RecoveryCodeEntity>;
  private readonly sql: SqlRunner;

  constructor(dataSource: DataSource) {
    this.factors = dataSource.getRepository(TotpFactorEntity);
    this.codes = dataSource.getRepository(RecoveryCodeEntity);
    this.sql = new SqlRunner(dataSource);
  }

  /** The account's factor, confirmed or not; null when it has none. */
  findFactor(userId: string): Promise<TotpFactorEntity | null> {
    return this.factors.findOneBy({ userId });
  }

  /** Whether the account has a confirmed TOTP factor (TOTP is on). */
  async isEnabled(userId: string): Promise<boolean> {
    return (await this.factors.countBy({ userId, confirmedAt: Not(IsNull()) })) > 0;
  }

  /** Starts or restarts an enrolment; false when TOTP is already on (nothing changed). */
  async enrol(userId: string, secretCiphertext: string, now: number): Promise<boolean> {
    return (await this.sql.affected(ENROL_TOTP, { userId, secretCiphertext, now })) === 1;
  }

  /** Confirms the enrolment of exactly this secret; in a group, rolls it back when it is no longer the pending one. */
  confirmStatement(userId: string, secretCiphertext: string, step: number, now: number): BoundStatement {
    return bind(CONFIRM_TOTP, { userId, secretCiphertext, step, now }, { mustChange: true });
  }

  /** Spends a time step of a confirmed factor; false when that step (or a later one) was already used. */
  async useStep(userId: string, step: number): Promise<boolean> {
    return (await this.sql.affected(USE_TOTP_STEP, { userId, step })) === 1;
  }

  /** The statements that replace the account's recovery codes with these (hashes). */
  replaceRecoveryCodesStatements(userId: string, codeHashes: readonly string[], now: number): BoundStatement[] {
    return [
      bind(DELETE_RECOVERY_CODES_OF_USER, { userId }),
      ...codeHashes.map((codeHash) => bind(INSERT_RECOVERY_CODE, { id: randomUUID(), userId, codeHash, now })),
    ];
  }

  /** Spends an unused recovery code; false when there is none with this hash (unknown or used). */
  async useRecoveryCode(userId: string, codeHash: string, now: number): Promise<boolean> {
    return (await this.sql.affected(USE_RECOVERY_CODE, { userId, codeHash, now })) === 1;
  }

  /** How many unused recovery codes the account has left. */
  unusedRecoveryCodes(userId: string): Promise<number> {
    return this.codes.countBy({ userId, usedAt: IsNull() });
  }

  /** The statements that remove the account's factor and recovery codes. */
  deleteForUserStatements(userId: string): BoundStatement[] {
    return [bind(DELETE_TOTP_OF_USER, { userId }), bind(DELETE_RECOVERY_CODES_OF_USER, { userId })];
  }
}
