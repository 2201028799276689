import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DataSource } from 'typeorm';
import type { Environment } from '@app/platform';
import { scratchDatabase, TEST_JWT_SECRET } from '../../../../test/support/scratch-database.js';
import { createAdminApp, type AdminAppOptions } from '../../src/create-admin-app.js';

export interface TestDashboard {
  readonly app: NestFastifyApplication;
  readonly dataSource: DataSource;
  readonly databaseUrl: string;
  /** Closes the app, then removes the scratch database if it is the dashboard's own. */
  close(): Promise<void>;
}

/**
 * Starts the real dashboard (createAdminApp, quiet) on a scratch database of its own, or on
 * `env.DATABASE_URL` (another app's, which that app removes), with the test JWT secret unless
 * `env` sets one. Nothing else is set for the suite: `env` and `options` are all it changes.
 */
export async function startTestDashboard(env: Environment = {}, options: AdminAppOptions = {}): Promise<TestDashboard> {
  const database = env.DATABASE_URL ? undefined : await scratchDatabase();
  const databaseUrl = env.DATABASE_URL ?? database!.url;
  const app = await createAdminApp({ env: { JWT_SECRET: TEST_JWT_SECRET, ...env, DATABASE_URL: databaseUrl }, logger: false, ...options });
  return {
    app,
    dataSource: app.get(DataSource),
    databaseUrl,
    async close() {
      await app.close();
      await database?.remove();
    },
  };
}
