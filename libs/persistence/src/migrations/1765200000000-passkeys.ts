import { Table, TableForeignKey, TableIndex, type MigrationInterface, type QueryRunner, type TableColumnOptions } from 'typeorm';

const id = (): TableColumnOptions => ({ name: 'id', type: 'varchar', length: '36', isPrimary: true });
const ref = (name: string, nullable = false): TableColumnOptions => ({ name, type: 'varchar', length: '36', isNullable: nullable });
const text = (name: string, length: number): TableColumnOptions => ({ name, type: 'varchar', length: String(length) });
const time = (name: string, nullable = false): TableColumnOptions => ({ name, type: 'bigint', isNullable: nullable });
const cascadeToUsers = (name: string) =>
  new TableForeignKey({ name, columnNames: ['user_id'], referencedTableName: 'users', referencedColumnNames: ['id'], onDelete: 'CASCADE' });

/** The webhook's event types after this migration. */
const WEBHOOK_EVENT_TYPES = [
  'refresh_token_reused',
  'device_revoked',
  'password_changed',
  'password_reset',
  'email_changed',
  'account_deleted',
  'totp_enabled',
  'totp_disabled',
  'passkey_added',
  'passkey_removed',
];
/** Those of 1765100000000 (the second factor's). */
const PREVIOUS_WEBHOOK_EVENT_TYPES = WEBHOOK_EVENT_TYPES.filter((type) => !type.startsWith('passkey_'));

/**
 * Passkeys (issue 22; API.md § Strong authentication):
 * - `passkeys`: an account's WebAuthn credentials (credential id, COSE public key, signature
 *   counter, transports, name, when added and last used).
 * - `passkey_challenges`: the challenges issued for a registration or a sign-in, single-use and
 *   short-lived, so that any process can finish a ceremony another began.
 * - The webhook's trigger also queues `passkey_added` and `passkey_removed`.
 *
 * New tables by TypeORM's Table API, so that both drivers read back the schema the entities
 * describe.
 */
export class Passkeys1765200000000 implements MigrationInterface {
  name = 'Passkeys1765200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'passkeys',
        columns: [
          id(),
          ref('user_id'),
          text('credential_id', 1400),
          { name: 'public_key', type: 'text' },
          { name: 'counter', type: 'bigint' },
          text('transports', 200),
          text('name', 64),
          time('created_at'),
          time('last_used_at', true),
        ],
        foreignKeys: [cascadeToUsers('passkeys_user_fk')],
        indices: [
          new TableIndex({ name: 'passkeys_credential_id_idx', columnNames: ['credential_id'], isUnique: true }),
          new TableIndex({ name: 'passkeys_user_id_idx', columnNames: ['user_id'] }),
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'passkey_challenges',
        columns: [id(), text('purpose', 16), ref('user_id', true), text('challenge', 64), time('created_at'), time('expires_at')],
        foreignKeys: [cascadeToUsers('passkey_challenges_user_fk')],
        indices: [
          new TableIndex({ name: 'passkey_challenges_challenge_idx', columnNames: ['challenge'], isUnique: true }),
          new TableIndex({ name: 'passkey_challenges_user_id_idx', columnNames: ['user_id'] }),
          new TableIndex({ name: 'passkey_challenges_expires_at_idx', columnNames: ['expires_at'] }),
        ],
      }),
    );
    await replaceWebhookTrigger(queryRunner, WEBHOOK_EVENT_TYPES);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await replaceWebhookTrigger(queryRunner, PREVIOUS_WEBHOOK_EVENT_TYPES);
    await queryRunner.query('DROP TABLE passkey_challenges');
    await queryRunner.query('DROP TABLE passkeys');
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
