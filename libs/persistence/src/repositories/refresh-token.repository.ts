import { Injectable } from '@nestjs/common';
import { DataSource, LessThan, type Repository } from 'typeorm';
import type { DeviceEntity } from '../entities/device.entity.js';
import { RefreshTokenEntity } from '../entities/refresh-token.entity.js';
import { FIND_TOKEN_WITH_DEVICE, ROTATE_REFRESH_TOKEN, SPEND_ALL_OF_DEVICES } from '../sql/refresh-tokens.sql.js';
import { SqlRunner } from '../sql/sql-runner.js';
import { deviceFromRow } from './device.repository.js';

export interface Rotation {
  /** The live token that this rotation spends. */
  readonly tokenId: string;
  /** Its successor, inserted live by the same rotation. */
  readonly successor: RefreshTokenEntity;
  /** The successor's secret, sealed under the spent one (for the grace period's retry). */
  readonly sealedSuccessor: string;
  readonly at: number;
  /**
   * The DPoP key the device is bound to after this rotation (null: it stays a bearer device). An
   * unbound device is bound to it by the rotation itself, so only the request that spends the
   * live token can bind, and a rotation whose key is not the device's matches nothing.
   */
  readonly jkt: string | null;
}

/** A refresh token with the device it belongs to. */
export interface TokenOfDevice {
  readonly token: RefreshTokenEntity;
  readonly device: DeviceEntity;
}

function toEntity(row: Record<string, unknown>): RefreshTokenEntity {
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
 * The atomic SQL steps of the rotation protocol (RefreshTokenService orders them so that no
 * interleaving of concurrent requests or processes can fork a chain); their statements are in
 * sql/refresh-tokens.sql.ts.
 */
@Injectable()
export class RefreshTokenRepository {
  private readonly tokens: Repository<RefreshTokenEntity>;
  private readonly sql: SqlRunner;

  constructor(dataSource: DataSource) {
    this.tokens = dataSource.getRepository(RefreshTokenEntity);
    this.sql = new SqlRunner(dataSource);
  }

  async insert(token: RefreshTokenEntity): Promise<void> {
    await this.tokens.insert(token);
  }

  /** The token with this hash and its device, in one query: the first step of every refresh. */
  async findWithDevice(tokenHash: string): Promise<TokenOfDevice | null> {
    const [row] = await this.sql.rows(FIND_TOKEN_WITH_DEVICE, { tokenHash });
    if (!row) return null;
    return { token: toEntity(row), device: deviceFromRow(row, 'd_') };
  }

  findById(id: string): Promise<RefreshTokenEntity | null> {
    return this.tokens.findOneBy({ id });
  }

  /**
   * Spends a live token in favour of its successor, atomically: the device's last activity
   * (only while it is not revoked and bound to no other key), the conditional update
   * (`… WHERE id = ? AND rotated_at IS NULL`), and only if both matched, the successor's
   * insert. Of any number of concurrent calls for one token (on any process) exactly one
   * returns true, and the others leave no token behind; false also when the device was revoked
   * or is bound to another key than `rotation.jkt`.
   */
  rotate(rotation: Rotation): Promise<boolean> {
    const { successor } = rotation;
    return this.sql.runChain(ROTATE_REFRESH_TOKEN, {
      tokenId: rotation.tokenId,
      successorId: successor.id,
      sealedSuccessor: rotation.sealedSuccessor,
      tokenHash: successor.tokenHash,
      createdAt: successor.createdAt,
      expiresAt: successor.expiresAt,
      at: rotation.at,
      deviceId: successor.deviceId,
      jkt: rotation.jkt,
    });
  }

  /** Deletes tokens whose idle lifetime ended before `cutoff`, spent or not; returns how many. */
  async deleteExpiredBefore(cutoff: number): Promise<number> {
    return (await this.tokens.delete({ expiresAt: LessThan(cutoff) })).affected ?? 0;
  }

  /** Spends every live token of these devices (their sessions were revoked). */
  async spendAllOfDevices(deviceIds: readonly string[], at: number): Promise<void> {
    if (deviceIds.length === 0) return;
    await this.sql.run(SPEND_ALL_OF_DEVICES, { deviceIds: [...deviceIds], at });
  }
}
