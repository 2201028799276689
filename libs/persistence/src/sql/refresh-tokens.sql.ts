import { deviceColumns } from './devices.sql.js';
import { sqlChain, sqlStatement } from './sql-statement.js';

export const REFRESH_TOKEN_COLUMNS = [
  'id',
  'device_id',
  'token_hash',
  'created_at',
  'expires_at',
  'rotated_at',
  'replaced_by_id',
  'sealed_successor',
] as const;

const COLUMNS = REFRESH_TOKEN_COLUMNS.join(', ');

/**
 * The token with this hash and its device (columns renamed `d_…`), in one query: the first step
 * of every refresh, so a named statement rather than TypeORM's query building (which costs more
 * CPU than the query itself; `npm run bench`, figure 4).
 */
export const FIND_TOKEN_WITH_DEVICE = sqlStatement<{ tokenHash: string }>(
  'refresh_tokens.find_with_device',
  `SELECT ${REFRESH_TOKEN_COLUMNS.map((column) => `t.${column}`).join(', ')}, ${deviceColumns('d.', 'd_')}
    FROM refresh_tokens t JOIN devices d ON d.id = t.device_id WHERE t.token_hash = :tokenHash`,
);

export interface RotationParameters {
  tokenId: string;
  successorId: string;
  sealedSuccessor: string;
  tokenHash: string;
  createdAt: number;
  expiresAt: number;
  at: number;
  deviceId: string;
  jkt: string | null;
}

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

/** The conditional update that decides a rotation: of concurrent ones exactly one matches. */
const SPEND = `UPDATE refresh_tokens SET rotated_at = :at, replaced_by_id = :successorId, sealed_successor = :sealedSuccessor
  WHERE id = :tokenId AND rotated_at IS NULL`;

const INSERT_SUCCESSOR = `INSERT INTO refresh_tokens (${COLUMNS})
  VALUES (:successorId, :deviceId, :tokenHash, :createdAt, :expiresAt, NULL, NULL, NULL)`;

/**
 * Spends a live token in favour of its successor, atomically: touch the active device (see
 * TOUCH_ACTIVE_DEVICE), spend the token, and only if both matched insert its successor. On
 * PostgreSQL one statement (one round trip): each step reads the one before, which fixes their
 * order; on SQLite the same three steps in one immediate transaction.
 */
export const ROTATE_REFRESH_TOKEN = sqlChain<RotationParameters>('refresh_tokens.rotate', {
  postgres: `WITH device AS (
      UPDATE devices SET last_seen_at = CAST(:at AS BIGINT), jkt = COALESCE(jkt, CAST(:jkt AS VARCHAR))
      WHERE id = :deviceId AND revoked_at IS NULL AND (jkt IS NULL OR jkt = CAST(:jkt AS VARCHAR)) RETURNING id
    ), spent AS (
      UPDATE refresh_tokens SET rotated_at = CAST(:at AS BIGINT), replaced_by_id = :successorId, sealed_successor = :sealedSuccessor
      WHERE id = :tokenId AND rotated_at IS NULL AND device_id IN (SELECT id FROM device) RETURNING device_id
    )
    INSERT INTO refresh_tokens (${COLUMNS})
    SELECT :successorId, device_id, :tokenHash, CAST(:createdAt AS BIGINT), CAST(:expiresAt AS BIGINT), NULL, NULL, NULL FROM spent`,
  sqlite: [TOUCH_ACTIVE_DEVICE, SPEND, INSERT_SUCCESSOR],
});

/** Spends every live token of these devices (their sessions were revoked). */
export const SPEND_ALL_OF_DEVICES = sqlStatement<{ deviceIds: string[]; at: number }>(
  'refresh_tokens.spend_all_of_devices',
  ({ inList }) => `UPDATE refresh_tokens SET rotated_at = :at WHERE ${inList('device_id', 'deviceIds')} AND rotated_at IS NULL`,
);
