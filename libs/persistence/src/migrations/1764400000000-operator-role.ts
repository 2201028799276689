import { TableColumn, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * The dashboard's operator role, stored on the account (it used to come from ADMIN_EMAILS,
 * which anyone could claim by registering such an address first). Every existing account is
 * a plain user; `npm run operator -- grant <email>` is the only way to an operator.
 */
export class OperatorRole1764400000000 implements MigrationInterface {
  name = 'OperatorRole1764400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn(
      'users',
      new TableColumn({ name: 'role', type: 'varchar', length: '16', isNullable: false, default: "'user'" }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('users', 'role');
  }
}
