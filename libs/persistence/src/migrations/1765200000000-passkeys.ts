import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { cascadeToUsers, idColumn, refColumn, replaceWebhookTrigger, textColumn, timeColumn } from './support/schema-parts.js';

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
          idColumn(),
          refColumn('user_id'),
          textColumn('credential_id', 1400),
          { name: 'public_key', type: 'text' },
          { name: 'counter', type: 'bigint' },
          textColumn('transports', 200),
          textColumn('name', 64),
          timeColumn('created_at'),
          timeColumn('last_used_at', true),
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
        columns: [
          idColumn(),
          textColumn('purpose', 16),
          refColumn('user_id', true),
          textColumn('challenge', 64),
          timeColumn('created_at'),
          timeColumn('expires_at'),
        ],
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
