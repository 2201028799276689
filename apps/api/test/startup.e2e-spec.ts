import type { TokenResponse } from '@app/auth';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { startAppProcess } from '../../../test/support/app-process.js';
import { registerAndLogin, scratchDatabase, startTestApi, TEST_JWT_SECRET, type ScratchDatabase } from './support/test-api.js';

/** Production refuses to start without SMTP_URL (API.md § Accounts); nothing is mailed in these runs. */
const PRODUCTION_SMTP_URL = 'smtp://127.0.0.1:2525';

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
      run(process.execPath, [resolve('dist/apps/cli/src/main.js'), 'migrate'], {
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
    // Two apps and two migration runs on a scratch database: more than Jest's 5 s default on a busy machine.
  }, 30_000);

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

  it.each(['api', 'admin'])(
    'stops the %s app on a configuration error with the named problems alone on stderr, and exit code 1',
    async (app) => {
      const folder = mkdtempSync(join(tmpdir(), 'device-auth-config-error-'));
      try {
        const main = resolve(`dist/apps/${app}/src/main.js`);
        const failure = await run(process.execPath, [main], {
          cwd: folder,
          env: {
            PATH: process.env.PATH,
            NODE_ENV: 'production',
            SMTP_URL: PRODUCTION_SMTP_URL,
            ACCESS_TOKEN_TTL: '15x',
            METRICS_TOKEN: 'short',
            DATABASE_URL: database.url,
          },
        }).then(
          () => null,
          (error: { code: number; stdout: string; stderr: string }) => error,
        );
        expect(failure).not.toBeNull();
        expect(failure!.code).toBe(1);
        expect(failure!.stderr).toBe(
          [
            'Invalid configuration:',
            '  KEY_ENCRYPTION_SECRET: required when NODE_ENV=production (at least 32 random bytes), unless JWT_SECRET or JWT_PRIVATE_KEY is set',
            "  ACCESS_TOKEN_TTL: '15x' is not a duration of at least 1s (use 900, 900s, 15m, 12h or 30d)",
            '  METRICS_TOKEN: must be at least 16 bytes (for example: openssl rand -base64 32)',
            '',
          ].join('\n'),
        );
        expect(failure!.stdout).toBe('');
      } finally {
        rmSync(folder, { recursive: true, force: true });
      }
    },
  );

  it('logs JSON lines in production, one per request, with the id each response carried', async () => {
    const api = await startAppProcess('api', {
      NODE_ENV: 'production',
      SMTP_URL: PRODUCTION_SMTP_URL,
      JWT_SECRET: TEST_JWT_SECRET,
      DATABASE_URL: database.url,
      PUBLIC_URL: 'https://auth.example.com',
    });
    try {
      const ids = [];
      for (const path of ['/', '/health/ready', '/no-such-route']) ids.push((await fetch(`${api.url}${path}`)).headers.get('x-request-id'));
      await api.stop();
      const lines = api
        .output()
        .stdout.split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      // No escape codes, no Nest banner per route: every line is one JSON object.
      expect(api.output().stdout).not.toContain('\u001b[');
      for (const id of ids) expect(lines.filter((line) => line.requestId === id)).toHaveLength(1);
      expect(lines.some((line) => line.context === 'RouterExplorer')).toBe(false);
    } finally {
      await api.stop();
    }
  });
});
