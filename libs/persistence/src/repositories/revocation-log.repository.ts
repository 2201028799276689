import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { databaseNowMs, executeSql } from '../sql.js';

/**
 * A place in the revocation log (migration 1764700000000): the writing transaction's id and the
 * row's id, compared in that order. On SQLite `xid` is always "0" and `id` alone orders the log.
 * Decimal strings: both are 64-bit and outgrow a JavaScript number.
 */
export interface RevocationLogPosition {
  readonly xid: string;
  readonly id: string;
}

export interface LoggedRevocation {
  readonly position: RevocationLogPosition;
  readonly deviceId: string;
  readonly userId: string;
  /** Database time, epoch ms. */
  readonly revokedAt: number;
}

/** What one read of the log found. */
export interface RevocationLogPage {
  /** In log order, at most the limit asked for; only entries revoked within the retention. */
  readonly entries: LoggedRevocation[];
  /**
   * A position no later entry can land at or before: everything up to it has been read or
   * skipped as expired (SQLite: the newest id ever given, which AUTOINCREMENT keeps in
   * sqlite_sequence even when the pruner deleted that row; PostgreSQL: the reader's snapshot
   * xmin). No position this log handed out is beyond it.
   */
  readonly settled: RevocationLogPosition;
  /**
   * A mark that changes whenever a new entry becomes readable (the newest readable entry's
   * position); compare it with {@link RevocationLogRepository.newestMark} to learn, with one
   * cheap query, whether reading again could find anything.
   */
  readonly newest: string;
  /** The database's clock when it answered (epoch ms). */
  readonly databaseNow: number;
}

/** SQLite: the newest id ever given (AUTOINCREMENT keeps it even when that row was pruned). */
const SQLITE_NEWEST = "(SELECT seq FROM sqlite_sequence WHERE name = 'device_revocations')";

export const LOG_START: RevocationLogPosition = { xid: '0', id: '0' };

@Injectable()
export class RevocationLogRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Entries after `after` (the start of the log when null) revoked within the last
   * `retentionMs` by the database's clock, in log order, at most `limit`; with how far the log
   * is settled. One statement, so the entries and `settled` come from one snapshot.
   */
  async readAfter(after: RevocationLogPosition | null, retentionMs: number, limit: number): Promise<RevocationLogPage> {
    const from = after ?? LOG_START;
    const parameters = { xid: from.xid, id: from.id, retentionMs, limit };
    const postgres = this.dataSource.options.type === 'postgres';
    // PostgreSQL: only rows of transactions below the snapshot's xmin, all of which have
    // finished, so no row can later appear before the last one handed out (see the migration).
    const sql = postgres
      ? `SELECT head.now, CAST(head.horizon AS TEXT) AS horizon, head.newest, CAST(log.xid AS TEXT) AS xid, CAST(log.id AS TEXT) AS id,
                log.device_id, log.user_id, log.revoked_at
         FROM (SELECT clock.now, clock.horizon, ${this.newestBelow('clock.horizon')} AS newest
               FROM (SELECT ${databaseNowMs(this.dataSource)} AS now, pg_snapshot_xmin(pg_current_snapshot()) AS horizon) clock) head
         LEFT JOIN LATERAL (
           SELECT xid, id, device_id, user_id, revoked_at FROM device_revocations
           WHERE (xid, id) > (CAST(:xid AS XID8), CAST(:id AS BIGINT)) AND xid < head.horizon
             AND revoked_at > head.now - CAST(:retentionMs AS BIGINT)
           ORDER BY xid, id LIMIT CAST(:limit AS INTEGER)
         ) log ON TRUE
         ORDER BY log.xid, log.id`
      : `SELECT head.now, head.newest, log.id, log.device_id, log.user_id, log.revoked_at
         FROM (SELECT ${databaseNowMs(this.dataSource)} AS now, ${SQLITE_NEWEST} AS newest) head
         LEFT JOIN (
           SELECT id, device_id, user_id, revoked_at FROM device_revocations
           WHERE id > CAST(:id AS INTEGER) AND revoked_at > ${databaseNowMs(this.dataSource)} - CAST(:retentionMs AS INTEGER)
           ORDER BY id LIMIT CAST(:limit AS INTEGER)
         ) log ON 1 = 1
         ORDER BY log.id`;
    const { rows } = await executeSql(this.dataSource, sql, parameters);
    const head = rows[0] ?? {};
    const entries = rows
      .filter((row) => row.id !== null && row.id !== undefined)
      .map((row) => ({
        position: { xid: postgres ? String(row.xid) : '0', id: String(row.id) },
        deviceId: String(row.device_id),
        userId: String(row.user_id),
        revokedAt: Number(row.revoked_at),
      }));
    const settled = postgres
      ? // Every entry of a transaction below the horizon sorts before (horizon, 0).
        { xid: String(head.horizon), id: '0' }
      : { xid: '0', id: head.newest === null || head.newest === undefined ? '0' : String(head.newest) };
    return { entries, settled, newest: String(head.newest ?? ''), databaseNow: Number(head.now) };
  }

  /** The log's current {@link RevocationLogPage.newest} mark: one indexed look-up. */
  async newestMark(): Promise<string> {
    const sql =
      this.dataSource.options.type === 'postgres'
        ? `SELECT ${this.newestBelow('pg_snapshot_xmin(pg_current_snapshot())')} AS newest`
        : `SELECT ${SQLITE_NEWEST} AS newest`;
    const { rows } = await executeSql(this.dataSource, sql);
    return String(rows[0]?.newest ?? '');
  }

  /** PostgreSQL: the newest readable entry's position as text (device_revocations_position_idx, backwards). */
  private newestBelow(horizon: string): string {
    return `(SELECT CAST(xid AS TEXT) || '.' || CAST(id AS TEXT) FROM device_revocations
             WHERE xid < ${horizon} ORDER BY xid DESC, id DESC LIMIT 1)`;
  }

  /** Deletes entries revoked more than `retentionMs` ago by the database's clock; returns how many. */
  async deleteExpired(retentionMs: number): Promise<number> {
    const { affected } = await executeSql(
      this.dataSource,
      `DELETE FROM device_revocations WHERE revoked_at <= ${databaseNowMs(this.dataSource)} - CAST(:retentionMs AS BIGINT)`,
      { retentionMs },
    );
    return affected;
  }
}
