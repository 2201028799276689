import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { cascadeToUsers, idColumn, refColumn, replaceWebhookTrigger, textColumn, timeColumn } from './support/schema-parts.js';

/** The webhook's event types after this migration (1764800000000 had the first three). */
const WEBHOOK_EVENT_TYPES = [
  'refresh_token_reused',
  'device_revoked',
  'password_changed',
  'password_reset',
  'email_changed',
  'account_deleted',
];
const PREVIOUS_WEBHOOK_EVENT_TYPES = ['refresh_token_reused', 'device_revoked', 'password_changed'];

/**
 * Accounts people can verify, recover and close (issue 21; API.md § Accounts):
 * - `users.email_verified_at`, and `users.deleted_at` for a deleted account's tombstone: the row
 *   stays (ids only: its email becomes `deleted:<id>`, which no address can equal, its password
 *   hash empty) so that the revocation log, the devices and the kept `account_deleted` event
 *   still point somewhere, and the address can register again.
 * - `devices.auth_time` / `devices.amr`: when and how the user last actively authenticated on
 *   the device (RFC 9470 step-up; a refresh never moves them). Existing devices authenticated
 *   when they signed in, with a password.
 * - `account_tokens`: the single-use links mailed for verification, reset and email change; the
 *   token itself is never stored, only its SHA-256.
 * - `mail_outbox`: mails queued in the transaction that causes them, sent by a background task
 *   (like `webhook_deliveries`: a lease, retries with backoff, times on the database's clock).
 *   A row is deleted once its mail is sent or given up, so a link lives in the database only
 *   while its mail waits.
 * - The webhook's trigger also queues `password_reset`, `email_changed` and `account_deleted`.
 *
 * The new columns by plain `ALTER TABLE … ADD COLUMN`: TypeORM's SQLite `addColumn` rebuilds
 * the table, which would drop the triggers on `devices`. The new tables by TypeORM's Table API,
 * so that both drivers read back the schema the entities describe.
 */
export class Accounts1765000000000 implements MigrationInterface {
  name = 'Accounts1765000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE users ADD COLUMN email_verified_at bigint NULL');
    await queryRunner.query('ALTER TABLE users ADD COLUMN deleted_at bigint NULL');
    await queryRunner.query('ALTER TABLE devices ADD COLUMN auth_time bigint NOT NULL DEFAULT 0');
    await queryRunner.query(`ALTER TABLE devices ADD COLUMN amr varchar(64) NOT NULL DEFAULT 'pwd'`);
    await queryRunner.query('UPDATE devices SET auth_time = created_at');

    await queryRunner.createTable(
      new Table({
        name: 'account_tokens',
        columns: [
          idColumn(),
          refColumn('user_id'),
          textColumn('purpose', 24),
          textColumn('token_hash', 64),
          textColumn('new_email', 254, true),
          timeColumn('created_at'),
          timeColumn('expires_at'),
          timeColumn('spent_at', true),
        ],
        foreignKeys: [cascadeToUsers('account_tokens_user_fk')],
        indices: [
          new TableIndex({ name: 'account_tokens_token_hash_idx', columnNames: ['token_hash'], isUnique: true }),
          new TableIndex({ name: 'account_tokens_user_purpose_idx', columnNames: ['user_id', 'purpose'] }),
          new TableIndex({ name: 'account_tokens_expires_at_idx', columnNames: ['expires_at'] }),
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'mail_outbox',
        columns: [
          idColumn(),
          refColumn('user_id', true),
          textColumn('recipient', 254),
          textColumn('subject', 255),
          { name: 'text_body', type: 'text' },
          { name: 'html_body', type: 'text' },
          { name: 'attempts', type: 'integer', default: 0 },
          timeColumn('created_at'),
          timeColumn('next_attempt_at'),
          timeColumn('claimed_until', true),
          refColumn('claim_id', true),
          textColumn('last_error', 200, true),
        ],
        foreignKeys: [cascadeToUsers('mail_outbox_user_fk')],
        indices: [
          new TableIndex({ name: 'mail_outbox_next_attempt_at_idx', columnNames: ['next_attempt_at'] }),
          new TableIndex({ name: 'mail_outbox_user_id_idx', columnNames: ['user_id'] }),
        ],
      }),
    );

    await replaceWebhookTrigger(queryRunner, WEBHOOK_EVENT_TYPES);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await replaceWebhookTrigger(queryRunner, PREVIOUS_WEBHOOK_EVENT_TYPES);
    await queryRunner.query('DROP TABLE mail_outbox');
    await queryRunner.query('DROP TABLE account_tokens');
    await queryRunner.query('ALTER TABLE devices DROP COLUMN amr');
    await queryRunner.query('ALTER TABLE devices DROP COLUMN auth_time');
    await queryRunner.query('ALTER TABLE users DROP COLUMN deleted_at');
    await queryRunner.query('ALTER TABLE users DROP COLUMN email_verified_at');
  }
}
