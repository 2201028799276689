import type { TokenResponse } from '@app/auth';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { startAppProcess } from '../../../test/support/app-process.js';
import { registerAndLogin, scratchDatabase, startTestApi, TEST_JWT_SECRET, type ScratchDatabase } from './support/test-api.js';

const run = promisify(execFile);

/** API.md's start-up rules: migrations, MIGRATIONS_RUN, `npm run migration:run`, `.env`. */
describe('start-up (e2e)', () => {
  let database: ScratchDatabase;

  beforeEach(async () => {
    database = await scratchDatabase();
  });

  afterEach(async () => {
    await database.remove();
  });

  it('with MIGRATIONS_RUN=false leaves the schema alone; migration:run applies it, once', async () => {
    const untouched = await startTestApi({ DATABASE_URL: database.url, MIGRATIONS_RUN: 'false' });
    try {
      await expect(untouched.dataSource.query('SELECT 1 FROM schema_migrations')).rejects.toThrow();
    } finally {
      await untouched.close();
    }

    // What `npm run migration:run` runs.
    const migrate = () =>
      run(process.execPath, [resolve('dist/libs/persistence/src/migrate.js')], {
        env: { DATABASE_URL: database.url, JWT_SECRET: TEST_JWT_SECRET },
      });
    expect((await migrate()).stdout).toMatch(/^Applied: InitialSchema/);
    expect((await migrate()).stdout).toMatch(/^Schema is up to date\./);

    const api = await startTestApi({ DATABASE_URL: database.url, MIGRATIONS_RUN: 'false' });
    try {
      await registerAndLogin(api);
    } finally {
      await api.close();
    }
  });

  it('reads a .env file in the working directory', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'device-auth-dotenv-'));
    writeFileSync(join(folder, '.env'), `DATABASE_URL=${database.url}\nJWT_SECRET=${TEST_JWT_SECRET}\nACCESS_TOKEN_TTL=5m\n`);
    const api = await startAppProcess('api', {}, { cwd: folder });
    try {
      const email = `dotenv-${Date.now()}@example.com`;
      const post = (path: string, body: unknown) =>
        fetch(`${api.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect((await post('/auth/register', { email, password: 'password-123' })).status).toBe(201);
      const tokens = (await (
        await post('/auth/login', { email, password: 'password-123', device: { name: 'Phone' } })
      ).json()) as TokenResponse;
      expect(tokens.expires_in).toBe(300);
    } finally {
      await api.stop();
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
