import { Table, TableForeignKey, TableIndex, type MigrationInterface, type QueryRunner, type TableColumnOptions } from 'typeorm';

const id = (name = 'id'): TableColumnOptions => ({ name, type: 'varchar', length: '36', isPrimary: name === 'id' });
const ref = (name: string, nullable = false): TableColumnOptions => ({ name, type: 'varchar', length: '36', isNullable: nullable });
const text = (name: string, length: number, nullable = false): TableColumnOptions => ({
  name,
  type: 'varchar',
  length: String(length),
  isNullable: nullable,
});
const time = (name: string, nullable = false): TableColumnOptions => ({ name, type: 'bigint', isNullable: nullable });
const cascadeTo = (column: string, table: string, name: string) =>
  new TableForeignKey({ name, columnNames: [column], referencedTableName: table, referencedColumnNames: ['id'], onDelete: 'CASCADE' });

/**
 * The first schema. Written with TypeORM's Table API so the same migration runs on SQLite
 * and PostgreSQL; times are BIGINT epoch milliseconds (see epoch-ms.transformer.ts).
 */
export class InitialSchema1764100000000 implements MigrationInterface {
  name = 'InitialSchema1764100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'users',
        columns: [id(), text('email', 254), text('password_hash', 255), time('created_at'), time('password_changed_at')],
        indices: [new TableIndex({ name: 'users_email_unique', columnNames: ['email'], isUnique: true })],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'devices',
        columns: [
          id(),
          ref('user_id'),
          text('name', 64),
          text('platform', 16),
          text('user_agent', 512, true),
          text('ip', 64, true),
          time('created_at'),
          time('last_seen_at'),
          time('session_expires_at'),
          time('revoked_at', true),
          text('revoked_reason', 32, true),
          ref('revoked_by', true),
        ],
        foreignKeys: [cascadeTo('user_id', 'users', 'devices_user_id_fk')],
        indices: [
          new TableIndex({ name: 'devices_user_id_revoked_at_idx', columnNames: ['user_id', 'revoked_at'] }),
          // The revocation sync asks "what was revoked since t?" every second on every process.
          new TableIndex({ name: 'devices_revoked_at_idx', columnNames: ['revoked_at'] }),
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'refresh_tokens',
        columns: [
          id(),
          ref('device_id'),
          text('token_hash', 64),
          time('created_at'),
          time('expires_at'),
          time('rotated_at', true),
          ref('replaced_by_id', true),
          text('sealed_successor', 255, true),
        ],
        foreignKeys: [cascadeTo('device_id', 'devices', 'refresh_tokens_device_id_fk')],
        indices: [
          new TableIndex({ name: 'refresh_tokens_token_hash_unique', columnNames: ['token_hash'], isUnique: true }),
          new TableIndex({ name: 'refresh_tokens_device_id_idx', columnNames: ['device_id'] }),
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'security_events',
        columns: [
          id(),
          ref('user_id'),
          text('type', 40),
          ref('device_id', true),
          text('device_name', 64, true),
          text('actor', 16),
          ref('actor_user_id', true),
          ref('actor_device_id', true),
          text('reason', 40, true),
          text('ip', 64, true),
          text('user_agent', 512, true),
          time('created_at'),
        ],
        foreignKeys: [cascadeTo('user_id', 'users', 'security_events_user_id_fk')],
        indices: [new TableIndex({ name: 'security_events_user_id_created_at_idx', columnNames: ['user_id', 'created_at'] })],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('security_events');
    await queryRunner.dropTable('refresh_tokens');
    await queryRunner.dropTable('devices');
    await queryRunner.dropTable('users');
  }
}
