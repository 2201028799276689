import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/** A shared store for the login rate limit, so that it holds across API processes. */
export class LoginAttempts1764200000000 implements MigrationInterface {
  name = 'LoginAttempts1764200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'login_attempts',
        columns: [
          { name: 'key_hash', type: 'varchar', length: '64', isPrimary: true },
          { name: 'failures', type: 'integer' },
          { name: 'window_ends_at', type: 'bigint' },
        ],
        indices: [new TableIndex({ name: 'login_attempts_window_ends_at_idx', columnNames: ['window_ends_at'] })],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('login_attempts');
  }
}
