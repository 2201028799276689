import { Injectable } from '@nestjs/common';
import { DataSource, type Repository } from 'typeorm';
import { PasskeyEntity } from '../entities/passkey.entity.js';
import { DELETE_PASSKEY, DELETE_PASSKEYS_OF_USER, RECORD_PASSKEY_USE } from '../sql/passkeys.sql.js';
import { bind, type BoundStatement } from '../sql/sql-statement.js';
import { SqlRunner } from '../sql/sql-runner.js';

/** The accounts' passkeys (migration 1765200000000). */
@Injectable()
export class PasskeyRepository {
  private readonly passkeys: Repository<PasskeyEntity>;
  private readonly sql: SqlRunner;

  constructor(dataSource: DataSource) {
    this.passkeys = dataSource.getRepository(PasskeyEntity);
    this.sql = new SqlRunner(dataSource);
  }

  /** @throws a unique violation (isUniqueViolation) when the credential is registered already */
  async insert(passkey: PasskeyEntity): Promise<void> {
    await this.passkeys.insert(passkey);
  }

  /** The account's passkeys, oldest first. */
  listForUser(userId: string): Promise<PasskeyEntity[]> {
    return this.passkeys.find({ where: { userId }, order: { createdAt: 'ASC', id: 'ASC' } });
  }

  countForUser(userId: string): Promise<number> {
    return this.passkeys.countBy({ userId });
  }

  findByCredentialId(credentialId: string): Promise<PasskeyEntity | null> {
    return this.passkeys.findOneBy({ credentialId });
  }

  /**
   * Records a use with this signature counter; false when the counter is no longer below it
   * (a concurrent use got further) or the passkey is gone.
   */
  async recordUse(id: string, counter: number, now: number): Promise<boolean> {
    return (await this.sql.affected(RECORD_PASSKEY_USE, { id, counter, now })) === 1;
  }

  /** Removes the account's passkey; false when it has none with this id. */
  async delete(id: string, userId: string): Promise<boolean> {
    return (await this.sql.affected(DELETE_PASSKEY, { id, userId })) === 1;
  }

  deleteForUserStatement(userId: string): BoundStatement {
    return bind(DELETE_PASSKEYS_OF_USER, { userId });
  }
}
