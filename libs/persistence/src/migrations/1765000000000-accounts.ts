import type { MigrationInterface, QueryRunner } from 'typeorm';

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
 * Plain `ALTER TABLE … ADD COLUMN`: TypeORM's SQLite `addColumn` rebuilds the table, which
 * would drop the triggers on `devices`.
 */
export class Accounts1765000000000 implements MigrationInterface {
  name = 'Accounts1765000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE users ADD COLUMN email_verified_at bigint NULL');
    await queryRunner.query('ALTER TABLE users ADD COLUMN deleted_at bigint NULL');
    await queryRunner.query('ALTER TABLE devices ADD COLUMN auth_time bigint NOT NULL DEFAULT 0');
    await queryRunner.query(`ALTER TABLE devices ADD COLUMN amr varchar(64) NOT NULL DEFAULT 'pwd'`);
    await queryRunner.query('UPDATE devices SET auth_time = created_at');

    await queryRunner.query(`
      CREATE TABLE account_tokens (
        id varchar(36) PRIMARY KEY NOT NULL,
        user_id varchar(36) NOT NULL,
        purpose varchar(24) NOT NULL,
        token_hash varchar(64) NOT NULL,
        new_email varchar(254) NULL,
        created_at bigint NOT NULL,
        expires_at bigint NOT NULL,
        spent_at bigint NULL,
        CONSTRAINT account_tokens_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
      )`);
    await queryRunner.query('CREATE UNIQUE INDEX account_tokens_token_hash_idx ON account_tokens (token_hash)');
    await queryRunner.query('CREATE INDEX account_tokens_user_purpose_idx ON account_tokens (user_id, purpose)');
    await queryRunner.query('CREATE INDEX account_tokens_expires_at_idx ON account_tokens (expires_at)');

    await queryRunner.query(`
      CREATE TABLE mail_outbox (
        id varchar(36) PRIMARY KEY NOT NULL,
        user_id varchar(36) NULL,
        recipient varchar(254) NOT NULL,
        subject varchar(255) NOT NULL,
        text_body text NOT NULL,
        html_body text NOT NULL,
        attempts integer NOT NULL DEFAULT 0,
        created_at bigint NOT NULL,
        next_attempt_at bigint NOT NULL,
        claimed_until bigint NULL,
        claim_id varchar(36) NULL,
        last_error varchar(200) NULL,
        CONSTRAINT mail_outbox_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
      )`);
    await queryRunner.query('CREATE INDEX mail_outbox_next_attempt_at_idx ON mail_outbox (next_attempt_at)');
    await queryRunner.query('CREATE INDEX mail_outbox_user_id_idx ON mail_outbox (user_id)');

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
