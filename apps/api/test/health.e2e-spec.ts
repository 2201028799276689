import { runMigrations } from '@app/persistence';
import { scratchDatabase, startTestApi, testPostgresUrl, type ScratchDatabase } from './support/test-api.js';
import { expectProblem } from './security/support/wire.js';

/** API.md: /health, /health/live (the process runs) and /health/ready (database reachable, migrations applied); the dashboard's: apps/admin/test/health.e2e-spec.ts. */
describe('health (e2e)', () => {
  let database: ScratchDatabase;

  beforeEach(async () => {
    database = await scratchDatabase();
  });

  afterEach(async () => {
    await database.remove();
  });

  it('is live and ready once migrated; not ready while migrations are pending, though live and /health still answer', async () => {
    const api = await startTestApi({ DATABASE_URL: database.url, MIGRATIONS_RUN: 'false' });
    try {
      await api.http().get('/health/live').expect(200, { status: 'ok' });
      await api.http().get('/health').expect(200, { status: 'ok' });
      const pending = await api.http().get('/health/ready');
      expectProblem(pending, 503);
      expect(pending.body.detail).toBe('The database schema is not up to date: run the migrations.');

      await runMigrations(api.dataSource);
      await api.http().get('/health/ready').expect(200, { status: 'ok' });
      expect((await api.http().get('/health/ready')).headers['x-request-id']).toBeDefined();
    } finally {
      await api.close();
    }
  });

  // Cutting the database off by closing the DataSource under the app (as production-safety does).
  (testPostgresUrl() ? it.skip : it)('is not ready while the database is unreachable, and stays live', async () => {
    const api = await startTestApi({ DATABASE_URL: database.url });
    try {
      await api.http().get('/health/ready').expect(200);
      await api.dataSource.destroy();
      expectProblem(await api.http().get('/health/ready'), 503);
      expectProblem(await api.http().get('/health'), 503);
      await api.http().get('/health/live').expect(200, { status: 'ok' });
    } finally {
      await api.close();
    }
  });
});
