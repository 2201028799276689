import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { DELETE_EXPIRED_REVOCATIONS, NEWEST_REVOCATION_MARK, READ_REVOCATION_LOG } from '../sql/device-revocations.sql.js';
import { SqlRunner } from '../sql/sql-runner.js';

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

export const LOG_START: RevocationLogPosition = { xid: '0', id: '0' };

@Injectable()
export class RevocationLogRepository {
  private readonly sql: SqlRunner;

  constructor(dataSource: DataSource) {
    this.sql = new SqlRunner(dataSource);
  }

  /**
   * Entries after `after` (the start of the log when null) revoked within the last
   * `retentionMs` by the database's clock, in log order, at most `limit`; with how far the log
   * is settled. One statement, so the entries and `settled` come from one snapshot.
   */
  async readAfter(after: RevocationLogPosition | null, retentionMs: number, limit: number): Promise<RevocationLogPage> {
    const from = after ?? LOG_START;
    const postgres = this.sql.dialect === 'postgres';
    const rows = await this.sql.rows(READ_REVOCATION_LOG, { xid: from.xid, id: from.id, retentionMs, limit });
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
    const [row] = await this.sql.rows(NEWEST_REVOCATION_MARK, {});
    return String(row?.newest ?? '');
  }

  /** Deletes entries revoked more than `retentionMs` ago by the database's clock; returns how many. */
  deleteExpired(retentionMs: number): Promise<number> {
    return this.sql.affected(DELETE_EXPIRED_REVOCATIONS, { retentionMs });
  }
}
