import { Table, TableForeignKey, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { idColumn, refColumn, textColumn, timeColumn } from './support/schema-parts.js';

/** The event types a stream can ask for, as the triggers below match them in `events_delivered`. */
const SESSION_REVOKED = 'https://schemas.openid.net/secevent/caep/event-type/session-revoked';
const CREDENTIAL_CHANGE = 'https://schemas.openid.net/secevent/caep/event-type/credential-change';
const ACCOUNT_PURGED = 'https://schemas.openid.net/secevent/risc/event-type/account-purged';
const PUSH = 'urn:ietf:rfc:8935';

/** The security events that become a CAEP credential-change or a RISC account-purged. */
const CREDENTIAL_EVENT_TYPES = ['password_changed', 'password_reset', 'passkey_added', 'passkey_removed', 'totp_enabled', 'totp_disabled'];
const SIGNAL_EVENT_TYPES = [...CREDENTIAL_EVENT_TYPES, 'account_deleted'].map((type) => `'${type}'`).join(', ');

/** A random (version 4) UUID in SQL, for each queued SET's jti. */
const UUID = {
  postgres: 'CAST(gen_random_uuid() AS VARCHAR)',
  sqlite: `lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4' || substr(lower(hex(randomblob(2))), 2) || '-'
    || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6)))`,
};
const NOW = {
  postgres: 'CAST(FLOOR(EXTRACT(EPOCH FROM clock_timestamp()) * 1000) AS BIGINT)',
  sqlite: "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)",
};

/** One SET per stream that is not disabled and asked for `uri` (events_delivered is a JSON array of URIs). */
const wantedBy = (uriSql: string) => `s.status <> 'disabled' AND s.events_delivered LIKE '%"' || ${uriSql} || '"%'`;
/** Push rows are due at once; poll rows wait to be asked for (next_attempt_at null). */
const dueFor = (now: string) => `CASE WHEN s.delivery_method = '${PUSH}' THEN ${now} ELSE NULL END`;

/** INSERT … SELECT of the session-revoked SETs for the revocation-log row NEW. */
function queueSessionRevoked(dialect: 'postgres' | 'sqlite'): string {
  const now = NOW[dialect];
  return `INSERT INTO ssf_events (id, stream_id, kind, user_id, device_id, reason, initiating_entity, occurred_at, created_at, attempts, next_attempt_at)
    SELECT ${UUID[dialect]}, s.id, 'session-revoked', NEW.user_id, NEW.device_id, NEW.reason,
      CASE WHEN NEW.reason = 'operator' THEN 'admin'
           WHEN NEW.reason IN ('refresh_token_reused', 'device_limit') THEN 'system'
           ELSE 'user' END,
      NEW.revoked_at, ${now}, 0, ${dueFor(now)}
    FROM ssf_streams s
    WHERE ${wantedBy(`'${SESSION_REVOKED}'`)}`;
}

/** INSERT … SELECT of the credential-change or account-purged SETs for the security event NEW. */
function queueAccountSignal(dialect: 'postgres' | 'sqlite'): string {
  const now = NOW[dialect];
  return `INSERT INTO ssf_events (id, stream_id, kind, user_id, device_id, reason, initiating_entity, occurred_at, created_at, attempts, next_attempt_at)
    SELECT ${UUID[dialect]}, s.id, CASE WHEN NEW.type = 'account_deleted' THEN 'account-purged' ELSE 'credential-change' END,
      NEW.user_id, NULL, NEW.type,
      CASE WHEN NEW.actor = 'operator' THEN 'admin' WHEN NEW.actor = 'system' THEN 'system' ELSE 'user' END,
      NEW.created_at, ${now}, 0, ${dueFor(now)}
    FROM ssf_streams s
    WHERE ${wantedBy(`CASE WHEN NEW.type = 'account_deleted' THEN '${ACCOUNT_PURGED}' ELSE '${CREDENTIAL_CHANGE}' END`)}`;
}

/**
 * The Shared Signals transmitter (issue 25; API.md § Shared Signals):
 * - `ssf_receivers`: the receivers registered from the command line, their token as SHA-256.
 * - `ssf_streams`: their streams (SSF 1.0 §8.1), going with their receiver.
 * - `ssf_events`: the SET queue, one row per SET and stream, going with its stream.
 * - `device_revocations.reason`: the revocation log keeps the device's reason too (its trigger on
 *   `devices` writes it), so the SET trigger below need not read `devices`: on SQLite a trigger
 *   that names a table breaks every later rebuild of that table (TypeORM's addColumn renames
 *   through a temporary table, and SQLite re-parses the triggers that mention it).
 * - Triggers queue the SETs in the statement that causes them, as the webhook's outbox does, so
 *   that no path (API, dashboard, operator CLI, another process) can revoke a device or change a
 *   credential without its SET, and a crash cannot separate the two:
 *   - `device_revocations_queue_ssf` on the revocation log (itself written by a trigger on
 *     `devices`, so it sees every revocation): CAEP session-revoked, with the device's reason;
 *   - `security_events_queue_ssf`: CAEP credential-change for password change and reset,
 *     passkeys and TOTP added or removed, RISC account-purged for a deleted account.
 *   Rows copy the ids they need and reference no event or device, so an account's deletion
 *   (which erases its security events) takes none of its SETs with it.
 *
 * Beware in later migrations: on SQLite a rebuild of `security_events` drops
 * `security_events_queue_ssf` (see schema.e2e-spec.ts).
 */
export class SharedSignals1765500000000 implements MigrationInterface {
  name = 'SharedSignals1765500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE device_revocations ADD COLUMN reason VARCHAR(32)');
    await logDeviceRevocations(queryRunner, true);
    await queryRunner.createTable(
      new Table({
        name: 'ssf_receivers',
        columns: [idColumn(), textColumn('name', 64), textColumn('audience', 200), textColumn('token_hash', 64), timeColumn('created_at')],
        indices: [
          new TableIndex({ name: 'ssf_receivers_name_idx', columnNames: ['name'], isUnique: true }),
          new TableIndex({ name: 'ssf_receivers_token_hash_idx', columnNames: ['token_hash'], isUnique: true }),
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'ssf_streams',
        columns: [
          idColumn(),
          refColumn('receiver_id'),
          textColumn('audience', 200),
          textColumn('delivery_method', 40),
          textColumn('endpoint_url', 2000, true),
          textColumn('authorization_header', 1000, true),
          { name: 'events_requested', type: 'text' },
          { name: 'events_delivered', type: 'text' },
          textColumn('description', 200, true),
          textColumn('status', 16),
          textColumn('status_reason', 200, true),
          timeColumn('created_at'),
          timeColumn('updated_at'),
        ],
        foreignKeys: [
          new TableForeignKey({
            name: 'ssf_streams_receiver_fk',
            columnNames: ['receiver_id'],
            referencedTableName: 'ssf_receivers',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          }),
        ],
        indices: [new TableIndex({ name: 'ssf_streams_receiver_id_idx', columnNames: ['receiver_id'] })],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'ssf_events',
        columns: [
          idColumn(),
          refColumn('stream_id'),
          textColumn('kind', 32),
          refColumn('user_id', true),
          refColumn('device_id', true),
          textColumn('reason', 40, true),
          textColumn('initiating_entity', 16, true),
          textColumn('state', 1000, true),
          timeColumn('occurred_at'),
          timeColumn('created_at'),
          { name: 'attempts', type: 'integer', default: 0 },
          timeColumn('next_attempt_at', true),
          timeColumn('claimed_until', true),
          refColumn('claim_id', true),
          timeColumn('delivered_at', true),
          textColumn('last_error', 200, true),
        ],
        foreignKeys: [
          new TableForeignKey({
            name: 'ssf_events_stream_fk',
            columnNames: ['stream_id'],
            referencedTableName: 'ssf_streams',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          }),
        ],
        indices: [
          new TableIndex({ name: 'ssf_events_next_attempt_at_idx', columnNames: ['next_attempt_at'] }),
          new TableIndex({ name: 'ssf_events_stream_id_delivered_at_idx', columnNames: ['stream_id', 'delivered_at'] }),
          new TableIndex({ name: 'ssf_events_created_at_idx', columnNames: ['created_at'] }),
        ],
      }),
    );
    if (queryRunner.connection.options.type === 'postgres') {
      await queryRunner.query(`
        CREATE FUNCTION queue_ssf_session_revoked() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          ${queueSessionRevoked('postgres')};
          RETURN NULL;
        END
        $$`);
      await queryRunner.query(`
        CREATE TRIGGER device_revocations_queue_ssf AFTER INSERT ON device_revocations
        FOR EACH ROW EXECUTE FUNCTION queue_ssf_session_revoked()`);
      await queryRunner.query(`
        CREATE FUNCTION queue_ssf_account_signal() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          ${queueAccountSignal('postgres')};
          RETURN NULL;
        END
        $$`);
      await queryRunner.query(`
        CREATE TRIGGER security_events_queue_ssf AFTER INSERT ON security_events
        FOR EACH ROW WHEN (NEW.type IN (${SIGNAL_EVENT_TYPES}))
        EXECUTE FUNCTION queue_ssf_account_signal()`);
    } else {
      await queryRunner.query(`
        CREATE TRIGGER device_revocations_queue_ssf AFTER INSERT ON device_revocations
        FOR EACH ROW
        BEGIN
          ${queueSessionRevoked('sqlite')};
        END`);
      await queryRunner.query(`
        CREATE TRIGGER security_events_queue_ssf AFTER INSERT ON security_events
        FOR EACH ROW WHEN NEW.type IN (${SIGNAL_EVENT_TYPES})
        BEGIN
          ${queueAccountSignal('sqlite')};
        END`);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    if (queryRunner.connection.options.type === 'postgres') {
      await queryRunner.query('DROP TRIGGER IF EXISTS security_events_queue_ssf ON security_events');
      await queryRunner.query('DROP TRIGGER IF EXISTS device_revocations_queue_ssf ON device_revocations');
      await queryRunner.query('DROP FUNCTION IF EXISTS queue_ssf_account_signal()');
      await queryRunner.query('DROP FUNCTION IF EXISTS queue_ssf_session_revoked()');
    } else {
      await queryRunner.query('DROP TRIGGER IF EXISTS security_events_queue_ssf');
      await queryRunner.query('DROP TRIGGER IF EXISTS device_revocations_queue_ssf');
    }
    await queryRunner.dropTable('ssf_events');
    await queryRunner.dropTable('ssf_streams');
    await queryRunner.dropTable('ssf_receivers');
    await logDeviceRevocations(queryRunner, false);
    await queryRunner.query('ALTER TABLE device_revocations DROP COLUMN reason');
  }
}

/** The revocation log's trigger on `devices` (1764700000000), writing the reason too or not. */
async function logDeviceRevocations(queryRunner: QueryRunner, withReason: boolean): Promise<void> {
  const columns = withReason ? 'device_id, user_id, revoked_at, reason' : 'device_id, user_id, revoked_at';
  const values = withReason ? 'NEW.id, NEW.user_id, NEW.revoked_at, NEW.revoked_reason' : 'NEW.id, NEW.user_id, NEW.revoked_at';
  if (queryRunner.connection.options.type === 'postgres') {
    await queryRunner.query(`
      CREATE OR REPLACE FUNCTION log_device_revocation() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO device_revocations (${columns}) VALUES (${values});
        RETURN NULL;
      END
      $$`);
  } else {
    await queryRunner.query('DROP TRIGGER devices_revocation_log');
    await queryRunner.query(`
      CREATE TRIGGER devices_revocation_log AFTER UPDATE OF revoked_at ON devices
      FOR EACH ROW WHEN OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL
      BEGIN
        INSERT INTO device_revocations (${columns}) VALUES (${values});
      END`);
  }
}
