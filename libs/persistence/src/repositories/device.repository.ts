import { Injectable } from '@nestjs/common';
import { DataSource, IsNull, MoreThan, type Repository } from 'typeorm';
import { DeviceEntity, type DevicePlatform, type RevocationReason } from '../entities/device.entity.js';
import {
  DEVICES_REVOKED_SINCE,
  INSERT_DEVICE,
  MARK_DEVICE_AUTHENTICATED,
  RECORD_LAST_SEEN,
  RENAME_ACTIVE_DEVICE,
  REVOKE_ALL_OF_USER,
  REVOKE_DEVICES,
  REVOKE_OTHERS_OF_USER,
  SCRUB_DEVICES_OF_USER,
} from '../sql/devices.sql.js';
import { SqlRunner } from '../sql/sql-runner.js';
import { bind, type BoundStatement } from '../sql/sql-statement.js';

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

  private readonly sql: SqlRunner;

  constructor(dataSource: DataSource) {
    this.devices = dataSource.getRepository(DeviceEntity);
    this.sql = new SqlRunner(dataSource);
  }

  /** Erases what identifies a person on the account's devices (names, addresses, user agents); the ids stay for the revocation log. */
  scrubStatement(userId: string): BoundStatement {
    return bind(SCRUB_DEVICES_OF_USER, { userId });
  }

  /** The INSERT of a new device, for a group (its sign-in mail goes in the same transaction). */
  insertStatement(device: DeviceEntity): BoundStatement {
    return bind(INSERT_DEVICE, { ...device });
  }

  /**
   * The user authenticated again on this active device (RFC 9470 step-up): its `auth_time` and
   * `amr` move; the device as it is now, or null when it is not the user's active device.
   */
  async markAuthenticated(id: string, userId: string, at: number, amr: string): Promise<DeviceEntity | null> {
    const [row] = await this.sql.rows(MARK_DEVICE_AUTHENTICATED, { id, userId, at, amr });
    return row ? deviceFromRow(row) : null;
  }

  /** How many active, unexpired devices the account has. */
  countActive(userId: string, now: number): Promise<number> {
    return this.devices.countBy({ userId, revokedAt: IsNull(), sessionExpiresAt: MoreThan(now) });
  }

  /** The account's active devices beyond the `keep` most recently active (the device cap). */
  async findBeyondMostRecent(userId: string, keep: number, now: number): Promise<string[]> {
    const devices = await this.devices.find({
      select: { id: true },
      where: { userId, revokedAt: IsNull(), sessionExpiresAt: MoreThan(now) },
      order: { lastSeenAt: 'DESC', createdAt: 'DESC', id: 'ASC' },
      skip: keep,
    });
    return devices.map((device) => device.id);
  }

  async insert(device: DeviceEntity): Promise<void> {
    await this.devices.insert(device);
  }

  /** By id alone, revoked or not. */
  findById(id: string): Promise<DeviceEntity | null> {
    return this.devices.findOneBy({ id });
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

  /** Names of all the user's devices, revoked ones included (for readable event logs). */
  async namesByUser(userId: string): Promise<Map<string, string>> {
    const devices = await this.devices.find({ where: { userId }, select: { id: true, name: true } });
    return new Map(devices.map((device) => [device.id, device.name]));
  }

  async rename(userId: string, id: string, name: string): Promise<boolean> {
    return (await this.sql.affected(RENAME_ACTIVE_DEVICE, { id, userId, name })) > 0;
  }

  /**
   * Writes batched last-activity times, one statement per batch, never moving a time back.
   */
  async recordLastSeen(lastSeen: ReadonlyMap<string, number>): Promise<void> {
    const entries = [...lastSeen];
    for (let start = 0; start < entries.length; start += LAST_SEEN_BATCH) {
      const batch = entries.slice(start, start + LAST_SEEN_BATCH);
      await this.sql.run(RECORD_LAST_SEEN, { ids: batch.map(([id]) => id), ats: batch.map(([, at]) => at) });
    }
  }

  /**
   * Ends the targeted device sessions that are still active, in one statement, and returns
   * exactly the devices this call revoked (a concurrent revocation of the same device counts
   * once), with their revocation time by the database's clock (see devices.sql.ts).
   */
  async revoke(target: RevocationTarget, revocation: Revocation): Promise<RevokedDevice[]> {
    const by = { reason: revocation.reason, by: revocation.revokedBy };
    let rows: Record<string, unknown>[];
    if ('deviceIds' in target) {
      if (target.deviceIds.length === 0) return [];
      rows = await this.sql.rows(REVOKE_DEVICES, { ...by, ids: [...target.deviceIds] });
    } else if (target.exceptDeviceId !== undefined) {
      rows = await this.sql.rows(REVOKE_OTHERS_OF_USER, { ...by, userId: target.userId, exceptId: target.exceptDeviceId });
    } else {
      rows = await this.sql.rows(REVOKE_ALL_OF_USER, { ...by, userId: target.userId });
    }
    return rows.map((row) => ({
      id: String(row.id),
      userId: String(row.user_id),
      name: String(row.name),
      revokedAt: Number(row.revoked_at),
    }));
  }

  /**
   * Devices revoked after `since` (database time, epoch ms), or within the last `windowMs` by
   * the database's clock when `since` is null; with the database's time of the answer.
   */
  async findRevokedSince(since: number | null, windowMs: number): Promise<RevocationsSince> {
    const rows = await this.sql.rows(DEVICES_REVOKED_SINCE, { since, windowMs });
    return {
      databaseNow: Number(rows[0]?.now),
      revoked: rows.filter((row) => row.id !== null).map((row) => ({ id: String(row.id), revokedAt: Number(row.revoked_at) })),
    };
  }
}
