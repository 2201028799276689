import { Table, TableForeignKey, TableIndex, type MigrationInterface, type QueryRunner, type TableColumnOptions } from 'typeorm';

const id = (): TableColumnOptions => ({ name: 'id', type: 'varchar', length: '36', isPrimary: true });
const ref = (name: string, nullable = false): TableColumnOptions => ({ name, type: 'varchar', length: '36', isNullable: nullable });
const text = (name: string, length: number, nullable = false): TableColumnOptions => ({
  name,
  type: 'varchar',
  length: String(length),
  isNullable: nullable,
});
const time = (name: string, nullable = false): TableColumnOptions => ({ name, type: 'bigint', isNullable: nullable });
const cascadeToUsers = (name: string) =>
  new TableForeignKey({ name, columnNames: ['user_id'], referencedTableName: 'users', referencedColumnNames: ['id'], onDelete: 'CASCADE' });

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
          id(),
          ref('user_id'),
          text('purpose', 24),
          text('token_hash', 64),
          text('new_email', 254, true),
          time('created_at'),
          time('expires_at'),
          time('spent_at', true),
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
          id(),
          ref('user_id', true),
          text('recipient', 254),
          text('subject', 255),
          { name: 'text_body', type: 'text' },
          { name: 'html_body', type: 'text' },
          { name: 'attempts', type: 'integer', default: 0 },
          time('created_at'),
          time('next_attempt_at'),
          time('claimed_until', true),
          ref('claim_id', true),
          text('last_error', 200, true),
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

/** The webhook outbox's trigger (1764800000000) again, for another list of event types. */
async function replaceWebhookTrigger(queryRunner: QueryRunner, types: readonly string[]): Promise<void> {
  const typesSql = types.map((type) => `'${type}'`).join(', ');
  if (queryRunner.connection.options.type === 'postgres') {
    await queryRunner.query('DROP TRIGGER security_events_queue_webhook ON security_events');
    await queryRunner.query(`
      CREATE TRIGGER security_events_queue_webhook AFTER INSERT ON security_events
      FOR EACH ROW WHEN (NEW.type IN (${typesSql}))
      EXECUTE FUNCTION queue_security_webhook()`);
  } else {
    const now = "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)";
    await queryRunner.query('DROP TRIGGER security_events_queue_webhook');
    await queryRunner.query(`
      CREATE TRIGGER security_events_queue_webhook AFTER INSERT ON security_events
      FOR EACH ROW WHEN NEW.type IN (${typesSql})
      BEGIN
        INSERT INTO webhook_deliveries (id, attempts, created_at, next_attempt_at) VALUES (NEW.id, 0, ${now}, ${now});
      END`);
  }
}
