import { Injectable } from '@nestjs/common';
import { DataSource, type Repository } from 'typeorm';
import { SigningKeyEntity } from '../entities/signing-key.entity.js';
import { ACTIVATE_SIGNING_KEY_AT, INSERT_SIGNING_KEY, REVOKE_SIGNING_KEY } from '../sql/signing-keys.sql.js';
import { SqlRunner } from '../sql/sql-runner.js';

/** Managed signing keys (migration 1765300000000): a handful of rows, read whole. */
@Injectable()
export class SigningKeyRepository {
  private readonly keys: Repository<SigningKeyEntity>;
  private readonly sql: SqlRunner;

  constructor(dataSource: DataSource) {
    this.keys = dataSource.getRepository(SigningKeyEntity);
    this.sql = new SqlRunner(dataSource);
  }

  /** Every key, oldest generation first. */
  findAll(): Promise<SigningKeyEntity[]> {
    return this.keys.find({ order: { generation: 'ASC' } });
  }

  /** Adds a key; false when its generation was taken by another process meanwhile. */
  async insert(key: Omit<SigningKeyEntity, 'revokedAt'>): Promise<boolean> {
    return (await this.sql.affected(INSERT_SIGNING_KEY, key)) === 1;
  }

  /** Brings the key's activation forward; false when it is revoked or already activates by then. */
  async activateAt(kid: string, activatesAt: number): Promise<boolean> {
    return (await this.sql.affected(ACTIVATE_SIGNING_KEY_AT, { kid, activatesAt })) === 1;
  }

  /** False when the key does not exist or was already revoked. */
  async revoke(kid: string, now: number): Promise<boolean> {
    return (await this.sql.affected(REVOKE_SIGNING_KEY, { kid, now })) === 1;
  }
}
