import { sqlStatement } from './sql-statement.js';

// The revocation log (migration 1764700000000; no entity: a trigger writes it). Its position is
// (xid, id) on PostgreSQL and id alone on SQLite, hence a text per dialect.

/** SQLite: the newest id ever given (AUTOINCREMENT keeps it even when that row was pruned). */
const SQLITE_NEWEST = "(SELECT seq FROM sqlite_sequence WHERE name = 'device_revocations')";

/** PostgreSQL: the newest readable entry's position as text (device_revocations_position_idx, backwards). */
const newestBelow = (horizon: string) => `(SELECT CAST(xid AS TEXT) || '.' || CAST(id AS TEXT) FROM device_revocations
  WHERE xid < ${horizon} ORDER BY xid DESC, id DESC LIMIT 1)`;

/**
 * Entries after the position (xid, id) revoked within the last `retentionMs` by the database's
 * clock, in log order, at most `limit`, with the head (now, the settled horizon, the newest
 * mark) on every row, and as the only row when there is no entry. One statement, so the entries
 * and the head come from one snapshot. PostgreSQL: only rows of transactions below the
 * snapshot's xmin, all of which have finished, so no row can later appear before the last one
 * handed out (see the migration).
 */
export const READ_REVOCATION_LOG = sqlStatement<{ xid: string; id: string; retentionMs: number; limit: number }>(
  'device_revocations.read_after',
  ({ dialect, nowMs }) =>
    dialect === 'postgres'
      ? `SELECT head.now, CAST(head.horizon AS TEXT) AS horizon, head.newest, CAST(log.xid AS TEXT) AS xid, CAST(log.id AS TEXT) AS id,
            log.device_id, log.user_id, log.revoked_at
        FROM (SELECT clock.now, clock.horizon, ${newestBelow('clock.horizon')} AS newest
              FROM (SELECT ${nowMs} AS now, pg_snapshot_xmin(pg_current_snapshot()) AS horizon) clock) head
        LEFT JOIN LATERAL (
          SELECT xid, id, device_id, user_id, revoked_at FROM device_revocations
          WHERE (xid, id) > (CAST(:xid AS XID8), CAST(:id AS BIGINT)) AND xid < head.horizon
            AND revoked_at > head.now - CAST(:retentionMs AS BIGINT)
          ORDER BY xid, id LIMIT CAST(:limit AS INTEGER)
        ) log ON TRUE
        ORDER BY log.xid, log.id`
      : `SELECT head.now, head.newest, log.id, log.device_id, log.user_id, log.revoked_at
        FROM (SELECT ${nowMs} AS now, ${SQLITE_NEWEST} AS newest) head
        LEFT JOIN (
          SELECT id, device_id, user_id, revoked_at FROM device_revocations
          WHERE id > CAST(:id AS INTEGER) AND revoked_at > ${nowMs} - CAST(:retentionMs AS INTEGER)
          ORDER BY id LIMIT CAST(:limit AS INTEGER)
        ) log ON 1 = 1
        ORDER BY log.id`,
);

/** The log's newest readable position as a mark: one indexed look-up. */
export const NEWEST_REVOCATION_MARK = sqlStatement('device_revocations.newest_mark', {
  sqlite: `SELECT ${SQLITE_NEWEST} AS newest`,
  postgres: `SELECT ${newestBelow('pg_snapshot_xmin(pg_current_snapshot())')} AS newest`,
});

/** Deletes entries revoked more than `retentionMs` ago by the database's clock. */
export const DELETE_EXPIRED_REVOCATIONS = sqlStatement<{ retentionMs: number }>(
  'device_revocations.delete_expired',
  ({ nowMs }) => `DELETE FROM device_revocations WHERE revoked_at <= ${nowMs} - CAST(:retentionMs AS BIGINT)`,
);
