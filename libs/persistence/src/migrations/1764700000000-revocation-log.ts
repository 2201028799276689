import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The revocation log behind `GET /revocations` (API.md § Revocation outside the API): one row
 * per device revocation, written by a trigger on `devices` whenever `revoked_at` goes from NULL
 * to a value, so that every path that revokes (API, dashboard, operator CLI, a hand-written
 * UPDATE) is logged and `DeviceRepository.revoke` stays one statement.
 *
 * The feed's cursor is a position in this log, never a time: `revoked_at` is the database's
 * clock and two revocations can carry it in the opposite order of their commits.
 * - SQLite serialises writers, so `id` (AUTOINCREMENT: never reused, even after the pruner
 *   deleted the newest rows) grows in commit order and `id > cursor` is exact.
 * - PostgreSQL hands out sequence values before commit, so a reader could see id 11 while id 10
 *   is still uncommitted and later skip it. Each row therefore keeps the transaction id that
 *   wrote it (`xid`, xid8), and the feed reads in (xid, id) order only rows whose xid is below
 *   the reader's snapshot xmin: every transaction below it has finished, and every transaction
 *   that commits later has an xid at least that xmin, so it lands after any cursor handed out.
 *
 * Beware on SQLite: TypeORM's addColumn/changeColumn/dropColumn on `devices` rebuild the table,
 * which drops its triggers. A later migration that does so must create `devices_revocation_log`
 * again (the statement below), or revocations silently stop reaching the feed.
 */
export class RevocationLog1764700000000 implements MigrationInterface {
  name = 'RevocationLog1764700000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    if (queryRunner.connection.options.type === 'postgres') {
      await queryRunner.query(`
        CREATE TABLE device_revocations (
          id BIGSERIAL PRIMARY KEY,
          xid XID8 NOT NULL DEFAULT pg_current_xact_id(),
          device_id VARCHAR(36) NOT NULL,
          user_id VARCHAR(36) NOT NULL,
          revoked_at BIGINT NOT NULL
        )`);
      await queryRunner.query('CREATE INDEX device_revocations_position_idx ON device_revocations (xid, id)');
      await queryRunner.query('CREATE INDEX device_revocations_revoked_at_idx ON device_revocations (revoked_at)');
      await queryRunner.query(`
        CREATE FUNCTION log_device_revocation() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          INSERT INTO device_revocations (device_id, user_id, revoked_at) VALUES (NEW.id, NEW.user_id, NEW.revoked_at);
          RETURN NULL;
        END
        $$`);
      await queryRunner.query(`
        CREATE TRIGGER devices_revocation_log AFTER UPDATE OF revoked_at ON devices
        FOR EACH ROW WHEN (OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL)
        EXECUTE FUNCTION log_device_revocation()`);
    } else {
      await queryRunner.query(`
        CREATE TABLE device_revocations (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          device_id VARCHAR(36) NOT NULL,
          user_id VARCHAR(36) NOT NULL,
          revoked_at BIGINT NOT NULL
        )`);
      await queryRunner.query('CREATE INDEX device_revocations_revoked_at_idx ON device_revocations (revoked_at)');
      await queryRunner.query(`
        CREATE TRIGGER devices_revocation_log AFTER UPDATE OF revoked_at ON devices
        FOR EACH ROW WHEN OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL
        BEGIN
          INSERT INTO device_revocations (device_id, user_id, revoked_at) VALUES (NEW.id, NEW.user_id, NEW.revoked_at);
        END`);
    }
    // Devices revoked before this migration whose access tokens may still be alive are in the
    // feed too: a follower starting now must hear of them.
    await queryRunner.query(`
      INSERT INTO device_revocations (device_id, user_id, revoked_at)
      SELECT id, user_id, revoked_at FROM devices WHERE revoked_at IS NOT NULL ORDER BY revoked_at, id`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    if (queryRunner.connection.options.type === 'postgres') {
      await queryRunner.query('DROP TRIGGER IF EXISTS devices_revocation_log ON devices');
      await queryRunner.query('DROP FUNCTION IF EXISTS log_device_revocation()');
    } else {
      await queryRunner.query('DROP TRIGGER IF EXISTS devices_revocation_log');
    }
    await queryRunner.query('DROP TABLE IF EXISTS device_revocations');
  }
}
