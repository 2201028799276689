import { TableColumn, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * DPoP (RFC 9449): a device may be bound to a key that never leaves it; `jkt` is that key's
 * RFC 7638 thumbprint (SHA-256, base64url: 43 characters). Null: a bearer device, as every
 * existing one is.
 */
export class DeviceKeyBinding1764600000000 implements MigrationInterface {
  name = 'DeviceKeyBinding1764600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn('devices', new TableColumn({ name: 'jkt', type: 'varchar', length: '64', isNullable: true }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('devices', 'jkt');
  }
}
