import { Table, TableForeignKey, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * The security events the webhook carries (README § Security webhook): what a product tells its
 * user about. Not `dpop_proof_rejected` or `login_failed`: a stranger can cause any number of
 * those, and each would become an outgoing request.
 */
const WEBHOOK_EVENT_TYPES = ['refresh_token_reused', 'device_revoked', 'password_changed'] as const;

const TYPES_SQL = WEBHOOK_EVENT_TYPES.map((type) => `'${type}'`).join(', ');

/**
 * The security webhook's outbox, and an index for the operators' overview.
 *
 * Each security event of a webhook type gets a `webhook_deliveries` row **from a trigger in the
 * same statement** that inserts the event, so no code path (API, dashboard, operator CLI) can
 * record one without queueing it, and a crash cannot separate the two: at-least-once delivery
 * starts in the database. The row holds only delivery state; the body is built from the
 * (immutable) event when it is sent. Times are the database's clock, like the revocation
 * sync's, so API processes whose clocks disagree still agree on what is due.
 *
 * `next_attempt_at` is null once there is nothing more to do (delivered, or given up), so the
 * workers' "what is due?" is one index range. `claimed_until` is a lease: a process that
 * crashed mid-delivery leaves a claim that expires and another process retries it.
 *
 * Beware in later migrations: on SQLite, TypeORM changes a column by rebuilding the table, and
 * dropping `security_events` drops this trigger with it; such a migration must create it again
 * (security-webhook-migration.e2e-spec.ts shows what must keep working).
 */
export class SecurityWebhookOutbox1764800000000 implements MigrationInterface {
  name = 'SecurityWebhookOutbox1764800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'webhook_deliveries',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'attempts', type: 'integer', default: 0 },
          { name: 'created_at', type: 'bigint' },
          { name: 'next_attempt_at', type: 'bigint', isNullable: true },
          { name: 'claimed_until', type: 'bigint', isNullable: true },
          { name: 'claim_id', type: 'varchar', length: '36', isNullable: true },
          { name: 'delivered_at', type: 'bigint', isNullable: true },
          { name: 'last_error', type: 'varchar', length: '200', isNullable: true },
        ],
        foreignKeys: [
          new TableForeignKey({
            name: 'webhook_deliveries_event_fk',
            columnNames: ['id'],
            referencedTableName: 'security_events',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          }),
        ],
        indices: [
          new TableIndex({ name: 'webhook_deliveries_next_attempt_at_idx', columnNames: ['next_attempt_at'] }),
          new TableIndex({ name: 'webhook_deliveries_created_at_idx', columnNames: ['created_at'] }),
        ],
      }),
    );
    // The overview's "recent reuse detections and DPoP rejections across all accounts".
    await queryRunner.createIndex(
      'security_events',
      new TableIndex({ name: 'security_events_type_created_at_idx', columnNames: ['type', 'created_at'] }),
    );
    if (queryRunner.connection.options.type === 'postgres') {
      const now = 'CAST(FLOOR(EXTRACT(EPOCH FROM clock_timestamp()) * 1000) AS BIGINT)';
      await queryRunner.query(`
        CREATE FUNCTION queue_security_webhook() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          INSERT INTO webhook_deliveries (id, attempts, created_at, next_attempt_at) VALUES (NEW.id, 0, ${now}, ${now});
          RETURN NULL;
        END
        $$`);
      await queryRunner.query(`
        CREATE TRIGGER security_events_queue_webhook AFTER INSERT ON security_events
        FOR EACH ROW WHEN (NEW.type IN (${TYPES_SQL}))
        EXECUTE FUNCTION queue_security_webhook()`);
    } else {
      const now = "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)";
      await queryRunner.query(`
        CREATE TRIGGER security_events_queue_webhook AFTER INSERT ON security_events
        FOR EACH ROW WHEN NEW.type IN (${TYPES_SQL})
        BEGIN
          INSERT INTO webhook_deliveries (id, attempts, created_at, next_attempt_at) VALUES (NEW.id, 0, ${now}, ${now});
        END`);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    if (queryRunner.connection.options.type === 'postgres') {
      await queryRunner.query('DROP TRIGGER IF EXISTS security_events_queue_webhook ON security_events');
      await queryRunner.query('DROP FUNCTION IF EXISTS queue_security_webhook()');
    } else {
      await queryRunner.query('DROP TRIGGER IF EXISTS security_events_queue_webhook');
    }
    await queryRunner.dropIndex('security_events', 'security_events_type_created_at_idx');
    await queryRunner.dropTable('webhook_deliveries');
  }
}
