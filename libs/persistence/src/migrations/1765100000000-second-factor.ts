import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { cascadeToUsers, idColumn, refColumn, replaceWebhookTrigger, textColumn, timeColumn } from './support/schema-parts.js';

/** The webhook's event types after this migration: 1765000000000's and the second factor's changes. */
const WEBHOOK_EVENT_TYPES = [
  'refresh_token_reused',
  'device_revoked',
  'password_changed',
  'password_reset',
  'email_changed',
  'account_deleted',
  'totp_enabled',
  'totp_disabled',
];
const PREVIOUS_WEBHOOK_EVENT_TYPES = WEBHOOK_EVENT_TYPES.slice(0, 6);

/**
 * A second factor (issue 22; API.md § Strong authentication, TOTP):
 * - `totp_factors`: one per account, its secret encrypted (AES-256-GCM), unconfirmed until the
 *   first code, and the time step of the last code accepted (each code works once).
 * - `recovery_codes`: the single-use codes handed out at confirmation, SHA-256 only.
 * - `mfa_challenges`: the sign-ins waiting for their second factor (`mfaToken`, SHA-256 only),
 *   in the database so that any process can finish what another began.
 * - The webhook's trigger also queues `totp_enabled` and `totp_disabled` (credential changes).
 *
 * New tables only (TypeORM's Table API, so both drivers read back what the entities describe);
 * no column is added to an existing table.
 */
export class SecondFactor1765100000000 implements MigrationInterface {
  name = 'SecondFactor1765100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'totp_factors',
        columns: [
          { ...refColumn('user_id'), isPrimary: true },
          textColumn('secret_ciphertext', 255),
          timeColumn('created_at'),
          timeColumn('confirmed_at', true),
          timeColumn('last_used_step', true),
        ],
        foreignKeys: [cascadeToUsers('totp_factors_user_fk')],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'recovery_codes',
        columns: [idColumn(), refColumn('user_id'), textColumn('code_hash', 64), timeColumn('created_at'), timeColumn('used_at', true)],
        foreignKeys: [cascadeToUsers('recovery_codes_user_fk')],
        indices: [new TableIndex({ name: 'recovery_codes_user_code_idx', columnNames: ['user_id', 'code_hash'], isUnique: true })],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'mfa_challenges',
        columns: [
          idColumn(),
          textColumn('token_hash', 64),
          refColumn('user_id'),
          textColumn('device_name', 64),
          textColumn('device_platform', 16),
          textColumn('session_client', 16),
          { name: 'attempts', type: 'integer', default: 0 },
          timeColumn('created_at'),
          timeColumn('expires_at'),
          timeColumn('spent_at', true),
        ],
        foreignKeys: [cascadeToUsers('mfa_challenges_user_fk')],
        indices: [
          new TableIndex({ name: 'mfa_challenges_token_hash_idx', columnNames: ['token_hash'], isUnique: true }),
          new TableIndex({ name: 'mfa_challenges_user_id_idx', columnNames: ['user_id'] }),
          new TableIndex({ name: 'mfa_challenges_expires_at_idx', columnNames: ['expires_at'] }),
        ],
      }),
    );
    await replaceWebhookTrigger(queryRunner, WEBHOOK_EVENT_TYPES);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await replaceWebhookTrigger(queryRunner, PREVIOUS_WEBHOOK_EVENT_TYPES);
    await queryRunner.query('DROP TABLE mfa_challenges');
    await queryRunner.query('DROP TABLE recovery_codes');
    await queryRunner.query('DROP TABLE totp_factors');
  }
}
