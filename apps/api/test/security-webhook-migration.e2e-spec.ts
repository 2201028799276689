import { DataSource } from 'typeorm';
import {
  createDataSource,
  MIGRATIONS,
  SecurityEventEntity,
  WebhookDeliveryEntity,
  WebhookDeliveryRepository,
  type SecurityEventType,
} from '@app/persistence';
import { AppConfig } from '@app/platform';
import { scratchDatabase, TEST_JWT_SECRET, type ScratchDatabase } from './support/test-api.js';

const MIGRATION = 'SecurityWebhookOutbox1764800000000';
const USER_ID = '00000000-0000-4000-8000-0000000000a1';

/**
 * The webhook outbox on a database the previous release filled: the events already there are
 * history, not news (nothing is queued for them); from the migration on, every event of a
 * webhook type is queued by the trigger in the statement that records it, whoever writes it;
 * and `down` leaves a database where events are recorded as before.
 */
describe('SecurityWebhookOutbox migration (e2e)', () => {
  let database: ScratchDatabase;
  let dataSource: DataSource | undefined;

  afterAll(async () => {
    if (dataSource?.isInitialized) await dataSource.destroy();
    await database?.remove();
  });

  it('queues the webhook types from then on (not the history), by the database clock; leases, retries, gives up, prunes; undoes cleanly', async () => {
    database = await scratchDatabase();
    const options = createDataSource(AppConfig.fromEnv({ DATABASE_URL: database.url, JWT_SECRET: TEST_JWT_SECRET })).options;
    // The release before: every migration up to this one. Later migrations run after it (below).
    const index = MIGRATIONS.findIndex((migration) => migration.name === MIGRATION);
    const previous = new DataSource({ ...options, migrations: MIGRATIONS.slice(0, index) });
    await previous.initialize();
    await previous.runMigrations();
    await previous.query(
      previous.options.type === 'postgres'
        ? 'INSERT INTO users (id, email, password_hash, created_at, password_changed_at) VALUES ($1, $2, $3, 0, 0)'
        : 'INSERT INTO users (id, email, password_hash, created_at, password_changed_at) VALUES (?, ?, ?, 0, 0)',
      [USER_ID, 'kept@example.com', 'x'],
    );
    // Events as that release wrote them (the columns it had), in one statement.
    const recordEvents = (on: DataSource, ...events: [id: string, type: SecurityEventType][]) =>
      on.query(
        `INSERT INTO security_events (id, user_id, type, actor, created_at) VALUES ${events
          .map((_, at) =>
            on.options.type === 'postgres'
              ? `($${2 * at + 1}, '${USER_ID}', $${2 * at + 2}, 'system', 1)`
              : `(?, '${USER_ID}', ?, 'system', 1)`,
          )
          .join(', ')}`,
        events.flat(),
      );
    await recordEvents(previous, ['00000000-0000-4000-8000-000000000001', 'device_revoked']);
    await previous.destroy();

    dataSource = new DataSource({ ...options, migrations: MIGRATIONS });
    await dataSource.initialize();
    const applied = (await dataSource.runMigrations()).map((migration) => migration.name);
    expect(applied).toEqual(MIGRATIONS.slice(index).map((migration) => new migration().name));
    const deliveries = dataSource.getRepository(WebhookDeliveryEntity);
    expect(await deliveries.count()).toBe(0);

    const before = Date.now();
    await recordEvents(
      dataSource,
      ['00000000-0000-4000-8000-000000000002', 'refresh_token_reused'],
      ['00000000-0000-4000-8000-000000000003', 'device_revoked'],
      ['00000000-0000-4000-8000-000000000004', 'password_changed'],
      ['00000000-0000-4000-8000-000000000005', 'login'],
      ['00000000-0000-4000-8000-000000000006', 'dpop_proof_rejected'],
      ['00000000-0000-4000-8000-000000000007', 'login_failed'],
    );
    const queued = await deliveries.find({ order: { id: 'ASC' } });
    expect(queued.map((delivery) => delivery.id)).toEqual([
      '00000000-0000-4000-8000-000000000002',
      '00000000-0000-4000-8000-000000000003',
      '00000000-0000-4000-8000-000000000004',
    ]);
    for (const delivery of queued) {
      expect(delivery).toMatchObject({ attempts: 0, claimedUntil: null, deliveredAt: null });
      // The database's clock (this host's), not the event's created_at (1).
      expect(delivery.createdAt).toBeGreaterThanOrEqual(before - 2000);
      expect(delivery.nextAttemptAt).toBe(delivery.createdAt);
    }

    // The outbox's statements, with no dispatcher running: lease, retry, give up, prune.
    const outbox = new WebhookDeliveryRepository(dataSource);
    const [first, second, third] = await outbox.claimDue(10, 60_000);
    expect([first, second, third].map((claim) => claim?.attempts)).toEqual([1, 1, 1]);
    expect(await outbox.claimDue(10, 60_000)).toEqual([]); // leased
    expect(await outbox.markDelivered(first)).toBe(true);
    expect(await outbox.markDelivered(first)).toBe(false); // the claim is spent
    expect(await outbox.retryLater(second, 0, 60_000, 'HTTP 500')).toBe('retrying');
    expect(await outbox.retryLater(third, 0, 0, 'ECONNREFUSED')).toBe('given_up');
    expect(await outbox.status()).toEqual({ pending: 1, failing: 1, givenUp: 1 });
    const again = await outbox.claimDue(10, 60_000);
    expect(again).toEqual([{ id: second.id, claimId: expect.any(String), attempts: 2 }]);
    expect(await outbox.retryLater(again[0], 0, 60_000, 'HTTP 500')).toBe('retrying');
    expect(await outbox.retryLater(again[0], 0, 60_000, 'HTTP 500')).toBe('lost_claim');
    expect(await deliveries.findOneByOrFail({ id: third.id })).toMatchObject({
      nextAttemptAt: null,
      deliveredAt: null,
      lastError: 'ECONNREFUSED',
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await outbox.prune(10, 60_000)).toBe(2); // the delivered and the given-up one; the pending one stays
    expect((await deliveries.find()).map((delivery) => delivery.id)).toEqual([second.id]);

    // Undone, with the migrations after it, back to the release before.
    for (let undone = 0; undone < applied.length; undone++) await dataSource.undoLastMigration();
    await recordEvents(dataSource, ['00000000-0000-4000-8000-000000000008', 'device_revoked']);
    expect(await dataSource.getRepository(SecurityEventEntity).count()).toBe(8);
    await expect(dataSource.query('SELECT COUNT(*) FROM webhook_deliveries')).rejects.toThrow();
  });
});
