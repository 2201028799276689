import { TableForeignKey, type QueryRunner, type TableColumnOptions } from 'typeorm';

// What the migrations since 1765000000000 build their tables and triggers from. Each migration
// still says which columns and event types it has; these only spell them the same way.

/** A varchar(36) id: the primary key, or a reference (nullable when asked). */
export const idColumn = (): TableColumnOptions => ({ name: 'id', type: 'varchar', length: '36', isPrimary: true });
export const refColumn = (name: string, nullable = false): TableColumnOptions => ({
  name,
  type: 'varchar',
  length: '36',
  isNullable: nullable,
});
export const textColumn = (name: string, length: number, nullable = false): TableColumnOptions => ({
  name,
  type: 'varchar',
  length: String(length),
  isNullable: nullable,
});
/** Epoch milliseconds (see epoch-ms.transformer.ts). */
export const timeColumn = (name: string, nullable = false): TableColumnOptions => ({ name, type: 'bigint', isNullable: nullable });

/** `user_id` → `users.id`, the row going with its account. */
export const cascadeToUsers = (name: string): TableForeignKey =>
  new TableForeignKey({ name, columnNames: ['user_id'], referencedTableName: 'users', referencedColumnNames: ['id'], onDelete: 'CASCADE' });

/**
 * The security webhook's trigger (1764800000000) again, queueing a delivery for exactly these
 * event types: each migration that adds a type the webhook sends lists them all.
 */
export async function replaceWebhookTrigger(queryRunner: QueryRunner, types: readonly string[]): Promise<void> {
  const typesSql = types.map((type) => `'${type}'`).join(', ');
  if (queryRunner.connection.options.type === 'postgres') {
    // One reading of the clock for both columns: 1764800000000's function read it twice, so a
    // delivery could be due a millisecond after it was created.
    await queryRunner.query(`
      CREATE OR REPLACE FUNCTION queue_security_webhook() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        now_ms bigint := CAST(FLOOR(EXTRACT(EPOCH FROM clock_timestamp()) * 1000) AS BIGINT);
      BEGIN
        INSERT INTO webhook_deliveries (id, attempts, created_at, next_attempt_at) VALUES (NEW.id, 0, now_ms, now_ms);
        RETURN NULL;
      END
      $$`);
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
