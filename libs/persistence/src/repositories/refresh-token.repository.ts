import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { DeviceEntity } from '../entities/device.entity.js';
import { RefreshTokenEntity } from '../entities/refresh-token.entity.js';
import { PreparedStatements } from '../prepared-statements.js';
import { executeSql } from '../sql.js';
import { deviceColumns, deviceFromRow } from './device.repository.js';

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

const INSERT = `INSERT INTO refresh_tokens (${COLUMNS})
  VALUES (:id, :deviceId, :tokenHash, :createdAt, :expiresAt, :rotatedAt, :replacedById, :sealedSuccessor)`;

const FIND_WITH_DEVICE = `SELECT ${COLUMNS.split(', ')
  .map((column) => `t.${column}`)
  .join(', ')}, ${deviceColumns('d.', 'd_')}
  FROM refresh_tokens t JOIN devices d ON d.id = t.device_id WHERE t.token_hash = :tokenHash`;

/** The conditional update that decides a rotation: of concurrent ones exactly one matches. */
const SPEND = `UPDATE refresh_tokens SET rotated_at = :at, replaced_by_id = :successorId, sealed_successor = :sealedSuccessor
  WHERE id = :tokenId AND rotated_at IS NULL`;

/**
 * Notes the device's activity, and only while it is not revoked and its key is the rotation's
 * (binding an unbound device to it). It runs first in a rotation, so the rotation holds the
 * device's row lock: a revocation (which updates that row too) then waits for the rotation to
 * commit, and its "spend every live token" that follows sees the successor; or the rotation
 * waits for the revocation and then matches nothing. Either way no live token of a revoked
 * device is left behind, and a device is bound only by the rotation that spends its live token.
 */
const TOUCH_ACTIVE_DEVICE = `UPDATE devices SET last_seen_at = :at, jkt = COALESCE(jkt, :jkt)
  WHERE id = :deviceId AND revoked_at IS NULL AND (jkt IS NULL OR jkt = :jkt)`;

/**
 * PostgreSQL: the whole rotation in one statement (one round trip, atomic): lock and touch the
 * active device, spend the token, and only if both matched insert its successor. Each step
 * reads the one before, which fixes their order.
 */
const ROTATE_POSTGRES = `WITH device AS (
    UPDATE devices SET last_seen_at = CAST(:at AS BIGINT), jkt = COALESCE(jkt, CAST(:jkt AS VARCHAR))
    WHERE id = :deviceId AND revoked_at IS NULL AND (jkt IS NULL OR jkt = CAST(:jkt AS VARCHAR)) RETURNING id
  ), spent AS (
    UPDATE refresh_tokens SET rotated_at = CAST(:at AS BIGINT), replaced_by_id = :successorId, sealed_successor = :sealedSuccessor
    WHERE id = :tokenId AND rotated_at IS NULL AND device_id IN (SELECT id FROM device) RETURNING device_id
  ), successor AS (
    INSERT INTO refresh_tokens (${COLUMNS})
    SELECT :successorId, device_id, :tokenHash, CAST(:createdAt AS BIGINT), CAST(:expiresAt AS BIGINT), NULL, NULL, NULL FROM spent
    RETURNING id
  )
  SELECT COUNT(*) AS rotated FROM successor`;

/**
 * The atomic SQL steps of the rotation protocol (RefreshTokenService orders them so that no
 * interleaving of concurrent requests or processes can fork a chain). The refresh hot path
 * (findWithDevice, rotate) runs on statements the driver prepared once (PreparedStatements):
 * TypeORM's query runner cost more CPU than the statements themselves (`npm run bench`).
 */
@Injectable()
export class RefreshTokenRepository {
  private readonly hotPath: PreparedStatements;

  constructor(private readonly dataSource: DataSource) {
    this.hotPath = new PreparedStatements(dataSource);
  }

  async insert(token: RefreshTokenEntity): Promise<void> {
    await executeSql(this.dataSource, INSERT, { ...token });
  }

  /** The token with this hash and its device, in one query: the first step of every refresh. */
  async findWithDevice(tokenHash: string): Promise<TokenOfDevice | null> {
    const { rows } = await this.hotPath.query(FIND_WITH_DEVICE, { tokenHash });
    const row = rows[0];
    if (!row) return null;
    return { token: toEntity(row)!, device: deviceFromRow(row, 'd_') };
  }

  async findById(id: string): Promise<RefreshTokenEntity | null> {
    const { rows } = await executeSql(this.dataSource, `SELECT ${COLUMNS} FROM refresh_tokens WHERE id = :id`, { id });
    return toEntity(rows[0]);
  }

  /**
   * Spends a live token in favour of its successor, atomically: the device's last activity
   * (only while it is not revoked, see TOUCH_ACTIVE_DEVICE), the conditional update
   * (`… WHERE id = ? AND rotated_at IS NULL`), and only if both matched, the successor's
   * insert. Of any number of concurrent calls for one token (on any process) exactly one
   * returns true, and the others leave nothing behind; false also when the device was revoked
   * or is bound to another key than `rotation.jkt`.
   */
  async rotate(rotation: Rotation): Promise<boolean> {
    const { successor } = rotation;
    const parameters = {
      tokenId: rotation.tokenId,
      successorId: successor.id,
      sealedSuccessor: rotation.sealedSuccessor,
      at: rotation.at,
      deviceId: successor.deviceId,
      jkt: rotation.jkt,
    };
    if (!this.hotPath.isSqlite) {
      const { rows } = await this.hotPath.query(ROTATE_POSTGRES, {
        ...parameters,
        tokenHash: successor.tokenHash,
        createdAt: successor.createdAt,
        expiresAt: successor.expiresAt,
      });
      return Number(rows[0]?.rotated) === 1;
    }
    // SQLite: one synchronous write transaction (better-sqlite3), so nothing comes between.
    return this.hotPath.sqliteTransaction((sql) => {
      if (sql(TOUCH_ACTIVE_DEVICE, parameters).affected !== 1) return false;
      if (sql(SPEND, parameters).affected !== 1) return false;
      sql(INSERT, { ...successor });
      return true;
    });
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
