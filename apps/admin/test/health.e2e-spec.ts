import request from 'supertest';
import { scratchDatabase, TEST_JWT_SECRET, type ScratchDatabase } from '../../../test/support/scratch-database.js';
import { createAdminApp } from '../src/create-admin-app.js';

/** API.md: the dashboard answers /health/live and /health/ready too (the API's: apps/api/test/health.e2e-spec.ts). */
describe('dashboard health (e2e)', () => {
  let database: ScratchDatabase;

  beforeAll(async () => {
    database = await scratchDatabase();
  });

  afterAll(async () => {
    await database.remove();
  });

  it('is live and ready, with X-Request-Id', async () => {
    const admin = await createAdminApp({ env: { DATABASE_URL: database.url, JWT_SECRET: TEST_JWT_SECRET }, logger: false });
    try {
      const http = () => request(admin.getHttpServer());
      await http().get('/health/live').expect(200, { status: 'ok' });
      const ready = await http().get('/health/ready').set('X-Request-Id', 'dashboard-probe-1').expect(200, { status: 'ok' });
      expect(ready.headers['x-request-id']).toBe('dashboard-probe-1');
    } finally {
      await admin.close();
    }
  });
});
