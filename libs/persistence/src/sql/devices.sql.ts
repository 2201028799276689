import { sqlStatement, type SqlDialectParts, type StatementText } from './sql-statement.js';

/** Every column of `devices`, for statements that read whole rows (`prefix`: a table alias with its dot; `alias`: a prefix for the result's names). */
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

/** Renames the user's device only while it is active: false (nothing written) otherwise. */
export const RENAME_ACTIVE_DEVICE = sqlStatement<{ id: string; userId: string; name: string }>(
  'devices.rename_active',
  'UPDATE devices SET name = :name WHERE id = :id AND user_id = :userId AND revoked_at IS NULL',
);

/**
 * Batched last-activity times (`ids[i]` was seen at `ats[i]`), one statement per batch, never
 * moving a time back and never touching a revoked device.
 */
export const RECORD_LAST_SEEN = sqlStatement<{ ids: string[]; ats: number[] }>('devices.record_last_seen', {
  sqlite: `UPDATE devices SET last_seen_at = batch.at
    FROM (SELECT ids.value AS id, CAST(ats.value AS INTEGER) AS at
          FROM json_each(:ids) ids JOIN json_each(:ats) ats ON ats.key = ids.key) batch
    WHERE devices.id = batch.id AND batch.at > devices.last_seen_at AND devices.revoked_at IS NULL`,
  postgres: `UPDATE devices SET last_seen_at = batch.at
    FROM unnest(CAST(:ids AS VARCHAR[]), CAST(:ats AS BIGINT[])) AS batch(id, at)
    WHERE devices.id = batch.id AND batch.at > devices.last_seen_at AND devices.revoked_at IS NULL`,
});

/**
 * The revocations: each ends the targeted devices that are still active, in one statement, and
 * returns exactly the devices it revoked (a concurrent revocation of the same device counts
 * once). `revoked_at` is the database's time, never the app process's: it is the cursor of
 * every process's revocation sync, and one process with a wrong clock must not move it.
 */
const revokeWhere =
  (condition: (parts: SqlDialectParts) => string): StatementText =>
  (parts) => `UPDATE devices SET revoked_at = ${parts.nowMs}, revoked_reason = :reason, revoked_by = :by
    WHERE ${condition(parts)} AND revoked_at IS NULL
    RETURNING id, user_id, name, revoked_at`;

interface RevocationParameters {
  reason: string;
  by: string | null;
}

/** Revokes these devices (those still active). */
export const REVOKE_DEVICES = sqlStatement<RevocationParameters & { ids: string[] }>(
  'devices.revoke',
  revokeWhere((parts) => parts.inList('id', 'ids')),
);

/** Revokes every active device of the user. */
export const REVOKE_ALL_OF_USER = sqlStatement<RevocationParameters & { userId: string }>(
  'devices.revoke_all_of_user',
  revokeWhere(() => 'user_id = :userId'),
);

/** Revokes every active device of the user but one (revoke-others, a password change). */
export const REVOKE_OTHERS_OF_USER = sqlStatement<RevocationParameters & { userId: string; exceptId: string }>(
  'devices.revoke_others_of_user',
  revokeWhere(() => 'user_id = :userId AND id <> :exceptId'),
);

/**
 * Devices revoked after `since` (database time, epoch ms), or within the last `windowMs` by the
 * database's clock when `since` is null; with the database's time of the answer. One query
 * (devices_revoked_at_idx); the joined one-row "now" makes an empty answer a row too.
 */
export const DEVICES_REVOKED_SINCE = sqlStatement<{ since: number | null; windowMs: number }>(
  'devices.revoked_since',
  ({ nowMs }) => `SELECT clock.now, devices.id, devices.revoked_at
    FROM (SELECT ${nowMs} AS now) clock
    LEFT JOIN devices ON devices.revoked_at > COALESCE(CAST(:since AS BIGINT), clock.now - CAST(:windowMs AS BIGINT))`,
);

/** Erases what identifies a person on the account's devices (names, addresses, user agents); the ids stay for the revocation log. */
export const SCRUB_DEVICES_OF_USER = sqlStatement<{ userId: string }>(
  'devices.scrub_of_user',
  "UPDATE devices SET name = 'deleted', ip = NULL, user_agent = NULL, jkt = NULL WHERE user_id = :userId",
);

/** A new device (in a group: its sign-in mail is queued in the same transaction). */
export const INSERT_DEVICE = sqlStatement<{
  id: string;
  userId: string;
  name: string;
  platform: string;
  userAgent: string | null;
  ip: string | null;
  createdAt: number;
  lastSeenAt: number;
  sessionExpiresAt: number;
  revokedAt: number | null;
  revokedReason: string | null;
  revokedBy: string | null;
  jkt: string | null;
  client: string;
  authTime: number;
  amr: string;
}>(
  'devices.insert',
  `INSERT INTO devices (${deviceColumns()})
    VALUES (:id, :userId, :name, :platform, :userAgent, :ip, :createdAt, :lastSeenAt, :sessionExpiresAt, :revokedAt,
            :revokedReason, :revokedBy, :jkt, :client, :authTime, :amr)`,
);

/** The user authenticated again on this active device (RFC 9470 step-up): `auth_time` and `amr` move; returns the device. */
export const MARK_DEVICE_AUTHENTICATED = sqlStatement<{ id: string; userId: string; at: number; amr: string }>(
  'devices.mark_authenticated',
  `UPDATE devices SET auth_time = :at, amr = :amr WHERE id = :id AND user_id = :userId AND revoked_at IS NULL
    RETURNING ${deviceColumns()}`,
);
