import { Injectable } from '@nestjs/common';
import type { Statement } from '../atomic-statements.js';
import { DataSource, IsNull, MoreThan, type Repository } from 'typeorm';
import { DeviceEntity, type DevicePlatform, type RevocationReason } from '../entities/device.entity.js';
import { databaseNowMs, executeSql } from '../sql.js';

/** Which active devices a revocation ends. */
export type RevocationTarget = { readonly deviceIds: readonly string[] } | { readonly userId: string; readonly exceptDeviceId?: string };

export interface Revocation {
  readonly reason: RevocationReason;
  /** The user who asked (owner or operator); null when the service itself revoked. */
  readonly revokedBy: string | null;
}

export interface RevokedDevice {
  readonly id: string;
  readonly userId: string;
  readonly name: string;
  /** When, by the database's clock (epoch ms). */
  readonly revokedAt: number;
}

/** What one round of the revocation sync reads. */
export interface RevocationsSince {
  readonly revoked: { readonly id: string; readonly revokedAt: number }[];
  /** The database's clock when it answered (epoch ms). */
  readonly databaseNow: number;
}

const LAST_SEEN_BATCH = 200;

/** Every column of `devices`, for plain-SQL reads (`prefix`: a table alias, with its dot). */
export function deviceColumns(prefix = '', alias = ''): string {
  return [
    'id',
    'user_id',
    'name',
    'platform',
    'user_agent',
    'ip',
    'created_at',
    'last_seen_at',
    'session_expires_at',
    'revoked_at',
    'revoked_reason',
    'revoked_by',
    'jkt',
    'client',
    'auth_time',
    'amr',
  ]
    .map((column) => `${prefix}${column}${alias ? ` AS ${alias}${column}` : ''}`)
    .join(', ');
}

const DEVICE_COLUMNS = deviceColumns();

/** A `devices` row read with deviceColumns (`alias`: the prefix its columns were renamed with). */
export function deviceFromRow(row: Record<string, unknown>, alias = ''): DeviceEntity {
  const value = (column: string) => row[`${alias}${column}`];
  const nullable = (column: string) => (value(column) === null ? null : String(value(column)));
  return {
    id: String(value('id')),
    userId: String(value('user_id')),
    name: String(value('name')),
    platform: String(value('platform')) as DeviceEntity['platform'],
    userAgent: nullable('user_agent'),
    ip: nullable('ip'),
    createdAt: Number(value('created_at')),
    lastSeenAt: Number(value('last_seen_at')),
    sessionExpiresAt: Number(value('session_expires_at')),
    revokedAt: value('revoked_at') === null ? null : Number(value('revoked_at')),
    revokedReason: nullable('revoked_reason') as DeviceEntity['revokedReason'],
    revokedBy: nullable('revoked_by'),
    jkt: nullable('jkt'),
    client: String(value('client')) as DeviceEntity['client'],
    authTime: Number(value('auth_time')),
    amr: String(value('amr')),
  };
}

@Injectable()
export class DeviceRepository {
  private readonly devices: Repository<DeviceEntity>;

  constructor(private readonly dataSource: DataSource) {
    this.devices = dataSource.getRepository(DeviceEntity);
  }

  /** Erases what identifies a person on the account's devices (names, addresses, user agents); the ids stay for the revocation log. */
  scrubStatement(userId: string): Statement {
    return {
      sql: "UPDATE devices SET name = 'deleted', ip = NULL, user_agent = NULL, jkt = NULL WHERE user_id = :userId",
      parameters: { userId },
    };
  }

  /** The INSERT of a new device, for a group (its sign-in mail goes in the same transaction). */
  insertStatement(device: DeviceEntity): Statement {
    return {
      sql: `INSERT INTO devices (${deviceColumns()})
            VALUES (:id, :userId, :name, :platform, :userAgent, :ip, :createdAt, :lastSeenAt, :sessionExpiresAt, :revokedAt,
                    :revokedReason, :revokedBy, :jkt, :client, :authTime, :amr)`,
      parameters: { ...device },
    };
  }

  /**
   * The user authenticated again on this active device (RFC 9470 step-up): its `auth_time` and
   * `amr` move; the device as it is now, or null when it is not the user's active device.
   */
  async markAuthenticated(id: string, userId: string, at: number, amr: string): Promise<DeviceEntity | null> {
    const { rows } = await executeSql(
      this.dataSource,
      `UPDATE devices SET auth_time = :at, amr = :amr WHERE id = :id AND user_id = :userId AND revoked_at IS NULL
       RETURNING ${DEVICE_COLUMNS}`,
      { id, userId, at, amr },
    );
    return rows[0] ? deviceFromRow(rows[0]) : null;
  }

  /** How many active, unexpired devices the account has. */
  async countActive(userId: string, now: number): Promise<number> {
    const { rows } = await executeSql(
      this.dataSource,
      'SELECT COUNT(*) AS active FROM devices WHERE user_id = :userId AND revoked_at IS NULL AND session_expires_at > :now',
      { userId, now },
    );
    return Number(rows[0]?.active ?? 0);
  }

  /** The account's active devices beyond the `keep` most recently active, least recently active first (the device cap). */
  async findBeyondMostRecent(userId: string, keep: number, now: number): Promise<string[]> {
    const { rows } = await executeSql(
      this.dataSource,
      `SELECT id FROM devices WHERE user_id = :userId AND revoked_at IS NULL AND session_expires_at > :now
       ORDER BY last_seen_at DESC, created_at DESC LIMIT :most OFFSET :keep`,
      // MAX_DEVICES_PER_USER is at most 10,000, and one sign-in adds one device.
      { userId, now, keep, most: 10_000 },
    );
    return rows.map((row) => String(row.id));
  }

  async insert(device: DeviceEntity): Promise<void> {
    await this.devices.insert(device);
  }

  /** By id alone, revoked or not (the refresh path, hence plain SQL: see RefreshTokenRepository). */
  async findById(id: string): Promise<DeviceEntity | null> {
    const { rows } = await executeSql(this.dataSource, `SELECT ${DEVICE_COLUMNS} FROM devices WHERE id = :id`, { id });
    return rows[0] ? deviceFromRow(rows[0]) : null;
  }

  /** A device that exists and is not revoked, whoever it belongs to (authorization is the caller's). */
  findActiveById(id: string): Promise<DeviceEntity | null> {
    return this.devices.findOneBy({ id, revokedAt: IsNull() });
  }

  /** The user's device if it exists and is not revoked; another user's device is null too. */
  findActive(userId: string, id: string): Promise<DeviceEntity | null> {
    return this.devices.findOneBy({ id, userId, revokedAt: IsNull() });
  }

  /** Devices that can still be used: not revoked and within their session's maximum age. */
  listActive(userId: string, now: number): Promise<DeviceEntity[]> {
    return this.devices.find({
      where: { userId, revokedAt: IsNull(), sessionExpiresAt: MoreThan(now) },
      order: { lastSeenAt: 'DESC', createdAt: 'DESC', id: 'ASC' },
    });
  }

  /** Names of all the user's devices, revoked ones included (for readable event logs). */
  /** Devices neither revoked nor past their session's absolute end at `now`, counted per platform. */
  async countActiveByPlatform(now: number): Promise<Map<DevicePlatform, number>> {
    const rows = await this.devices
      .createQueryBuilder('device')
      .select('device.platform', 'platform')
      .addSelect('COUNT(*)', 'count')
      .where('device.revokedAt IS NULL AND device.sessionExpiresAt > :now', { now })
      .groupBy('device.platform')
      .getRawMany<{ platform: DevicePlatform; count: string | number }>();
    return new Map(rows.map((row) => [row.platform, Number(row.count)]));
  }

  async namesByUser(userId: string): Promise<Map<string, string>> {
    const devices = await this.devices.find({ where: { userId }, select: { id: true, name: true } });
    return new Map(devices.map((device) => [device.id, device.name]));
  }

  async rename(userId: string, id: string, name: string): Promise<boolean> {
    const result = await this.devices.update({ id, userId, revokedAt: IsNull() }, { name });
    return (result.affected ?? 0) > 0;
  }

  /**
   * Writes batched last-activity times, one statement per batch, never moving a time back.
   */
  async recordLastSeen(lastSeen: ReadonlyMap<string, number>): Promise<void> {
    const entries = [...lastSeen];
    for (let start = 0; start < entries.length; start += LAST_SEEN_BATCH) {
      const batch = entries.slice(start, start + LAST_SEEN_BATCH);
      const parameters: Record<string, unknown> = { ids: batch.map(([id]) => id) };
      const cases = batch
        .map(([id, at], index) => {
          parameters[`id${index}`] = id;
          parameters[`at${index}`] = at;
          // The cast gives PostgreSQL the parameter's type (it would infer text).
          return `WHEN :id${index} THEN CAST(:at${index} AS BIGINT)`;
        })
        .join(' ');
      await executeSql(
        this.dataSource,
        `UPDATE devices SET last_seen_at = CASE WHEN (CASE id ${cases} END) > last_seen_at
           THEN (CASE id ${cases} END) ELSE last_seen_at END
         WHERE id IN (:...ids) AND revoked_at IS NULL`,
        parameters,
      );
    }
  }

  /**
   * Ends the targeted device sessions that are still active, in one statement, and returns
   * exactly the devices this call revoked (a concurrent revocation of the same device counts
   * once). `revoked_at` is the database's time, never the app process's: it is the cursor of
   * every process's revocation sync, and one process with a wrong clock must not move it.
   */
  async revoke(target: RevocationTarget, revocation: Revocation): Promise<RevokedDevice[]> {
    const parameters: Record<string, unknown> = { reason: revocation.reason, by: revocation.revokedBy };
    let condition: string;
    if ('deviceIds' in target) {
      if (target.deviceIds.length === 0) return [];
      condition = 'id IN (:...ids)';
      parameters.ids = target.deviceIds;
    } else {
      condition = 'user_id = :userId';
      parameters.userId = target.userId;
      if (target.exceptDeviceId !== undefined) {
        condition += ' AND id <> :exceptId';
        parameters.exceptId = target.exceptDeviceId;
      }
    }
    const { rows } = await executeSql(
      this.dataSource,
      `UPDATE devices SET revoked_at = ${databaseNowMs(this.dataSource)}, revoked_reason = :reason, revoked_by = :by
       WHERE ${condition} AND revoked_at IS NULL
       RETURNING id, user_id, name, revoked_at`,
      parameters,
    );
    return rows.map((row) => ({
      id: String(row.id),
      userId: String(row.user_id),
      name: String(row.name),
      revokedAt: Number(row.revoked_at),
    }));
  }

  /**
   * Devices revoked after `since` (database time, epoch ms), or within the last `windowMs` by
   * the database's clock when `since` is null; with the database's time of the answer. One
   * query (devices_revoked_at_idx); the joined one-row "now" makes an empty answer a row too.
   */
  async findRevokedSince(since: number | null, windowMs: number): Promise<RevocationsSince> {
    const { rows } = await executeSql(
      this.dataSource,
      `SELECT clock.now, devices.id, devices.revoked_at
       FROM (SELECT ${databaseNowMs(this.dataSource)} AS now) clock
       LEFT JOIN devices ON devices.revoked_at > COALESCE(CAST(:since AS BIGINT), clock.now - CAST(:windowMs AS BIGINT))`,
      { since, windowMs },
    );
    return {
      databaseNow: Number(rows[0]?.now),
      revoked: rows.filter((row) => row.id !== null).map((row) => ({ id: String(row.id), revokedAt: Number(row.revoked_at) })),
    };
  }
}
