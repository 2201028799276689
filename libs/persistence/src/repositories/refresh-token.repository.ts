import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { RefreshTokenEntity } from '../entities/refresh-token.entity.js';
import { executeSql } from '../sql.js';

export interface Rotation {
  readonly successorId: string;
  readonly sealedSuccessor: string;
  readonly at: number;
}

const COLUMNS = 'id, device_id, token_hash, created_at, expires_at, rotated_at, replaced_by_id, sealed_successor';

function toEntity(row: Record<string, unknown> | undefined): RefreshTokenEntity | null {
  if (!row) return null;
  return {
    id: String(row.id),
    deviceId: String(row.device_id),
    tokenHash: String(row.token_hash),
    createdAt: Number(row.created_at),
    expiresAt: Number(row.expires_at),
    rotatedAt: row.rotated_at === null ? null : Number(row.rotated_at),
    replacedById: row.replaced_by_id === null ? null : String(row.replaced_by_id),
    sealedSuccessor: row.sealed_successor === null ? null : String(row.sealed_successor),
  };
}

/**
 * Each method is one atomic statement; the rotation protocol in RefreshTokenService orders
 * them so that no interleaving of concurrent requests (or processes) can fork a chain.
 * Plain SQL rather than the repository API: this is the refresh hot path, and TypeORM's query
 * building cost more CPU than the statements themselves (measured with `npm run bench`).
 */
@Injectable()
export class RefreshTokenRepository {
  constructor(private readonly dataSource: DataSource) {}

  async insert(token: RefreshTokenEntity): Promise<void> {
    await executeSql(
      this.dataSource,
      `INSERT INTO refresh_tokens (${COLUMNS})
       VALUES (:id, :deviceId, :tokenHash, :createdAt, :expiresAt, :rotatedAt, :replacedById, :sealedSuccessor)`,
      { ...token },
    );
  }

  async findByHash(tokenHash: string): Promise<RefreshTokenEntity | null> {
    const { rows } = await executeSql(this.dataSource, `SELECT ${COLUMNS} FROM refresh_tokens WHERE token_hash = :tokenHash`, {
      tokenHash,
    });
    return toEntity(rows[0]);
  }

  async findById(id: string): Promise<RefreshTokenEntity | null> {
    const { rows } = await executeSql(this.dataSource, `SELECT ${COLUMNS} FROM refresh_tokens WHERE id = :id`, { id });
    return toEntity(rows[0]);
  }

  /**
   * Spends a live token in favour of its successor: `UPDATE … WHERE id = ? AND rotated_at IS
   * NULL`. Of any number of concurrent calls for one token exactly one returns true.
   */
  async rotate(id: string, rotation: Rotation): Promise<boolean> {
    const { affected } = await executeSql(
      this.dataSource,
      `UPDATE refresh_tokens SET rotated_at = :at, replaced_by_id = :successorId, sealed_successor = :sealedSuccessor
       WHERE id = :id AND rotated_at IS NULL`,
      { id, ...rotation },
    );
    return affected === 1;
  }

  async delete(id: string): Promise<void> {
    await executeSql(this.dataSource, 'DELETE FROM refresh_tokens WHERE id = :id', { id });
  }

  /** Deletes tokens whose idle lifetime ended before `cutoff`, spent or not; returns how many. */
  async deleteExpiredBefore(cutoff: number): Promise<number> {
    const { affected } = await executeSql(this.dataSource, 'DELETE FROM refresh_tokens WHERE expires_at < :cutoff', { cutoff });
    return affected;
  }

  /** Spends every live token of these devices (their sessions were revoked). */
  async spendAllOfDevices(deviceIds: readonly string[], at: number): Promise<void> {
    if (deviceIds.length === 0) return;
    await executeSql(
      this.dataSource,
      'UPDATE refresh_tokens SET rotated_at = :at WHERE device_id IN (:...deviceIds) AND rotated_at IS NULL',
      {
        at,
        deviceIds: [...deviceIds],
      },
    );
  }
}
