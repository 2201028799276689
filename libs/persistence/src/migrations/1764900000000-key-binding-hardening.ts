import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Key binding that holds (issue 19):
 * - `devices.client`: which client a session was signed in through (`api` or `dashboard`), so
 *   that the two apps' access tokens carry different audiences and neither accepts the other's.
 *   Every existing device was an API sign-in or a dashboard one; the dashboard's are the `web`
 *   devices whose name the dashboard gave them, which cannot be told apart reliably, so all
 *   existing devices become `api`: an existing dashboard session then ends at its next page
 *   (its cookie is refused) and its browser signs in again.
 * - `security_events.occurrences`: a run of refused DPoP proofs on one device is one event with a
 *   count, so nobody can flood the activity log or the operators' overview.
 *
 * Plain `ALTER TABLE … ADD COLUMN` on both databases: TypeORM's SQLite `addColumn` rebuilds the
 * table, which would drop the triggers on `devices` and `security_events`.
 */
export class KeyBindingHardening1764900000000 implements MigrationInterface {
  name = 'KeyBindingHardening1764900000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE devices ADD COLUMN client varchar(16) NOT NULL DEFAULT 'api'`);
    await queryRunner.query(`ALTER TABLE security_events ADD COLUMN occurrences integer NOT NULL DEFAULT 1`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE security_events DROP COLUMN occurrences');
    await queryRunner.query('ALTER TABLE devices DROP COLUMN client');
  }
}
