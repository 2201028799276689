import { TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/** Lets the periodic prune of expired refresh tokens find them without a table scan. */
export class RefreshTokenExpiryIndex1764300000000 implements MigrationInterface {
  name = 'RefreshTokenExpiryIndex1764300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createIndex('refresh_tokens', new TableIndex({ name: 'refresh_tokens_expires_at_idx', columnNames: ['expires_at'] }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('refresh_tokens', 'refresh_tokens_expires_at_idx');
  }
}
