import { Table, TableForeignKey, TableIndex, type MigrationInterface, type QueryRunner, type TableColumnOptions } from 'typeorm';

const ref = (name: string, primary = false): TableColumnOptions => ({ name, type: 'varchar', length: '36', isPrimary: primary });
const text = (name: string, length: number): TableColumnOptions => ({ name, type: 'varchar', length: String(length) });
const time = (name: string, nullable = false): TableColumnOptions => ({ name, type: 'bigint', isNullable: nullable });
const cascadeToUsers = (name: string) =>
  new TableForeignKey({ name, columnNames: ['user_id'], referencedTableName: 'users', referencedColumnNames: ['id'], onDelete: 'CASCADE' });

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
          ref('user_id', true),
          text('secret_ciphertext', 255),
          time('created_at'),
          time('confirmed_at', true),
          time('last_used_step', true),
        ],
        foreignKeys: [cascadeToUsers('totp_factors_user_fk')],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'recovery_codes',
        columns: [ref('id', true), ref('user_id'), text('code_hash', 64), time('created_at'), time('used_at', true)],
        foreignKeys: [cascadeToUsers('recovery_codes_user_fk')],
        indices: [new TableIndex({ name: 'recovery_codes_user_code_idx', columnNames: ['user_id', 'code_hash'], isUnique: true })],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'mfa_challenges',
        columns: [
          ref('id', true),
          text('token_hash', 64),
          ref('user_id'),
          text('device_name', 64),
          text('device_platform', 16),
          text('session_client', 16),
          { name: 'attempts', type: 'integer', default: 0 },
          time('created_at'),
          time('expires_at'),
          time('spent_at', true),
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

/** The webhook outbox's trigger (1764800000000) again, for another list of event types (as in 1765000000000). */
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
