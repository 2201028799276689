import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { replaceWebhookTrigger, textColumn, timeColumn } from './support/schema-parts.js';

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
  'signing_key_revoked',
];
/** Those of 1765200000000. */
const PREVIOUS_WEBHOOK_EVENT_TYPES = WEBHOOK_EVENT_TYPES.filter((type) => type !== 'signing_key_revoked');

/**
 * Managed signing keys (issue 23; API.md § Signing keys and their rotation):
 * - `signing_keys`: each key's kid, generation, algorithm, public JWK, sealed private key and
 *   times (published, activates, revoked).
 * - PostgreSQL: every change to it NOTIFYs `signing_keys_changed`, so each process re-reads the
 *   keys at once (a revoked key is refused within the revocation spread); SQLite relies on the
 *   periodic sync.
 * - `security_events.user_id` becomes nullable (a key's rotation or revocation concerns no
 *   account) and `key_id` names the key of such an event. The webhook also sends
 *   `signing_key_revoked`.
 */
export class SigningKeys1765300000000 implements MigrationInterface {
  name = 'SigningKeys1765300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'signing_keys',
        columns: [
          { ...textColumn('kid', 64), isPrimary: true },
          { name: 'generation', type: 'integer' },
          textColumn('algorithm', 16),
          { name: 'public_jwk', type: 'text' },
          { name: 'sealed_private_key', type: 'text' },
          timeColumn('created_at'),
          timeColumn('activates_at'),
          timeColumn('revoked_at', true),
        ],
        indices: [new TableIndex({ name: 'signing_keys_generation_idx', columnNames: ['generation'], isUnique: true })],
      }),
    );
    await queryRunner.query('ALTER TABLE security_events ADD COLUMN key_id varchar(64)');
    if (queryRunner.connection.options.type === 'postgres') {
      await queryRunner.query(`
        CREATE FUNCTION notify_signing_keys_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          PERFORM pg_notify('signing_keys_changed', '');
          RETURN NULL;
        END
        $$`);
      await queryRunner.query(`
        CREATE TRIGGER signing_keys_changed_notify AFTER INSERT OR UPDATE ON signing_keys
        FOR EACH STATEMENT EXECUTE FUNCTION notify_signing_keys_changed()`);
      await queryRunner.query('ALTER TABLE security_events ALTER COLUMN user_id DROP NOT NULL');
    } else {
      await rebuildSqliteTable(queryRunner, 'security_events', (sql) =>
        sql.replace(/"user_id" varchar\(36\) NOT NULL/, '"user_id" varchar(36)'),
      );
    }
    await replaceWebhookTrigger(queryRunner, WEBHOOK_EVENT_TYPES);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await replaceWebhookTrigger(queryRunner, PREVIOUS_WEBHOOK_EVENT_TYPES);
    await queryRunner.query(`DELETE FROM security_events WHERE user_id IS NULL`);
    if (queryRunner.connection.options.type === 'postgres') {
      await queryRunner.query('ALTER TABLE security_events ALTER COLUMN user_id SET NOT NULL');
      await queryRunner.query('DROP TRIGGER IF EXISTS signing_keys_changed_notify ON signing_keys');
      await queryRunner.query('DROP FUNCTION IF EXISTS notify_signing_keys_changed()');
    } else {
      await rebuildSqliteTable(queryRunner, 'security_events', (sql) =>
        sql.replace(/"user_id" varchar\(36\)(?! NOT NULL)/, '"user_id" varchar(36) NOT NULL'),
      );
    }
    await queryRunner.query('ALTER TABLE security_events DROP COLUMN key_id');
    await queryRunner.query('DROP TABLE signing_keys');
  }
}

/**
 * SQLite cannot drop a NOT NULL constraint in place: the table is rebuilt from its own CREATE
 * statement, changed by `edit` (SQLite's documented 12-step procedure). Migrations run in a
 * transaction, where `PRAGMA foreign_keys` cannot be turned off, so dropping the old table
 * would cascade into the rows that reference it: those are copied aside first and put back.
 * The table's indexes and triggers are re-created from their own statements.
 */
async function rebuildSqliteTable(queryRunner: QueryRunner, table: string, edit: (createSql: string) => string): Promise<void> {
  const [{ sql }] = (await queryRunner.query(`SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?`, [table])) as {
    sql: string;
  }[];
  const rebuilt = edit(sql);
  if (rebuilt === sql) throw new Error(`rebuildSqliteTable: the edit changed nothing in ${table}`);
  const dependents = (await queryRunner.query(
    `SELECT m.name AS name, f."from" AS column FROM sqlite_master m, pragma_foreign_key_list(m.name) f
     WHERE m.type = 'table' AND f."table" = ? AND f.on_delete = 'CASCADE'`,
    [table],
  )) as { name: string; column: string }[];
  const attached = (await queryRunner.query(
    `SELECT sql FROM sqlite_master WHERE type IN ('index', 'trigger') AND tbl_name = ? AND sql IS NOT NULL`,
    [table],
  )) as { sql: string }[];
  for (const { name } of dependents) await queryRunner.query(`CREATE TEMP TABLE "kept_${name}" AS SELECT * FROM "${name}"`);
  const temporary = `${table}_rebuilt`;
  await queryRunner.query(rebuilt.replace(`CREATE TABLE "${table}"`, `CREATE TABLE "${temporary}"`));
  await queryRunner.query(`INSERT INTO "${temporary}" SELECT * FROM "${table}"`);
  await queryRunner.query(`DROP TABLE "${table}"`);
  await queryRunner.query(`ALTER TABLE "${temporary}" RENAME TO "${table}"`);
  for (const { sql: statement } of attached) await queryRunner.query(statement);
  for (const { name } of dependents) {
    await queryRunner.query(`INSERT OR IGNORE INTO "${name}" SELECT * FROM "kept_${name}"`);
    await queryRunner.query(`DROP TABLE "kept_${name}"`);
  }
}
