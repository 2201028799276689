import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * PostgreSQL only: every device revocation, whichever statement or app made it (API,
 * dashboard, operator CLI), NOTIFYs the `device_revoked` channel with "<device id> <revoked_at
 * ms>" when its transaction commits, so each API process's listener adds it to its revocation
 * set at once instead of at its next periodic sync (API.md § Revocation: within 100 ms).
 * SQLite has no such mechanism; there the periodic sync is all there is.
 */
export class RevocationNotify1764750000000 implements MigrationInterface {
  name = 'RevocationNotify1764750000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    if (queryRunner.connection.options.type !== 'postgres') return;
    await queryRunner.query(`
      CREATE FUNCTION notify_device_revoked() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('device_revoked', NEW.id || ' ' || NEW.revoked_at);
        RETURN NULL;
      END
      $$`);
    await queryRunner.query(`
      CREATE TRIGGER devices_revoked_notify AFTER UPDATE OF revoked_at ON devices
      FOR EACH ROW WHEN (OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL)
      EXECUTE FUNCTION notify_device_revoked()`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    if (queryRunner.connection.options.type !== 'postgres') return;
    await queryRunner.query('DROP TRIGGER IF EXISTS devices_revoked_notify ON devices');
    await queryRunner.query('DROP FUNCTION IF EXISTS notify_device_revoked()');
  }
}
