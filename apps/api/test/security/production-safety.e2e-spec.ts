import { jest } from '@jest/globals';
import { generateKeyPair, generateProof } from 'dpop';
import type { LoggerService } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { inspect } from 'node:util';
import request from 'supertest';
import { DataSource } from 'typeorm';
import type { TokenResponse } from '@app/auth';
import { RefreshTokenEntity, UserEntity } from '@app/persistence';
import { createApiApp } from '../../src/create-api-app.js';
import { startApiProcess } from '../../../../test/support/app-process.js';
import { LogCapture } from '../support/log-capture.js';
import {
  registerAndLogin,
  scratchDatabase,
  startTestApi,
  TestClock,
  TEST_JWT_SECRET,
  testPostgresUrl,
  type ScratchDatabase,
  type TestApi,
} from '../support/test-api.js';
import { expectNoLeak, expectOAuthError, expectProblem } from './support/wire.js';

/** Production refuses to start without SMTP_URL (API.md § Accounts); nothing is mailed in these runs. */
const PRODUCTION_SMTP_URL = 'smtp://127.0.0.1:2525';

const MAIN = resolve('dist/apps/api/src/main.js');

/** Runs the built main.js to its exit (or kills it after `timeoutMs`). */
async function runMain(env: Record<string, string>, timeoutMs = 20_000): Promise<{ code: number | null; output: string }> {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run "npm run build" first (npm test does).`);
  // A scratch working directory, so that no developer's .env supplies a JWT_SECRET.
  const cwd = mkdtempSync(join(tmpdir(), 'device-auth-prod-'));
  try {
    const child = spawn(process.execPath, [MAIN], {
      cwd,
      env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: '0', DATABASE_URL: `sqlite:${join(cwd, 'auth.sqlite')}`, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const code = await new Promise<number | null>((done) => child.once('exit', (exitCode) => done(exitCode)));
    clearTimeout(timer);
    return { code, output };
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}

describe('refusing to start in production without a key secret, or with a weak JWT_SECRET (e2e)', () => {
  it('exits non-zero naming KEY_ENCRYPTION_SECRET when neither it nor a static key is set', async () => {
    const { code, output } = await runMain({ NODE_ENV: 'production', SMTP_URL: PRODUCTION_SMTP_URL });
    expect(code).not.toBe(0);
    expect(code).not.toBeNull();
    expect(output).toMatch(/KEY_ENCRYPTION_SECRET: required when NODE_ENV=production/);
  }, 30_000);

  it('exits non-zero naming JWT_SECRET when it is shorter than 32 bytes, without printing it', async () => {
    const { code, output } = await runMain({
      NODE_ENV: 'production',
      SMTP_URL: PRODUCTION_SMTP_URL,
      JWT_SECRET: 'short-but-secret-31-bytes-long!',
    });
    expect(code).not.toBe(0);
    expect(code).not.toBeNull();
    expect(output).toMatch(/JWT_SECRET: must be at least 32 bytes/);
    expect(output).not.toContain('short-but-secret');
  }, 30_000);

  it('refuses to start in production without PUBLIC_URL, naming it: DPoP htu would be checked against the client-chosen Host', async () => {
    const { code, output } = await runMain({ NODE_ENV: 'production', SMTP_URL: PRODUCTION_SMTP_URL, JWT_SECRET: 'x'.repeat(32) });
    expect(code).toBe(1);
    expect(output).toMatch(/PUBLIC_URL: required in production/);
  }, 30_000);

  it('refuses to start in production without SMTP_URL, naming it: mail that became files would lock people out of recovery', async () => {
    const { code, output } = await runMain({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32), PUBLIC_URL: 'https://auth.example.com' });
    expect(code).not.toBe(0);
    expect(code).not.toBeNull();
    expect(output).toMatch(/SMTP_URL: required when NODE_ENV=production/);
  }, 30_000);

  it('refuses a malformed SMTP_URL without printing it (it may hold the relay password)', async () => {
    const { code, output } = await runMain({
      NODE_ENV: 'production',
      JWT_SECRET: 'x'.repeat(32),
      PUBLIC_URL: 'https://auth.example.com',
      SMTP_URL: 'http://relay:hunter2-relay-password@mail.example.com',
    });
    expect(code).not.toBe(0);
    expect(output).toMatch(/SMTP_URL: expected smtp:\/\//);
    expect(output).not.toContain('hunter2');
  }, 30_000);

  it('starts in production with a 32-byte secret (the control: the refusals above are about the secret)', async () => {
    const database = await scratchDatabase();
    const api = await startApiProcess({
      NODE_ENV: 'production',
      SMTP_URL: PRODUCTION_SMTP_URL,
      JWT_SECRET: 'x'.repeat(32),
      DATABASE_URL: database.url,
      PUBLIC_URL: 'https://auth.example.com',
    });
    try {
      const health = await fetch(`${api.url}/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: 'ok' });
    } finally {
      await api.stop();
      await database.remove();
    }
  }, 30_000);
});

describe('security headers (e2e)', () => {
  let api: TestApi;
  let tokens: TokenResponse;

  beforeAll(async () => {
    api = await startTestApi();
    ({ tokens } = await registerAndLogin(api));
  });

  afterAll(async () => {
    await api.close();
  });

  it.each([
    ['GET / (200)', () => api.http().get('/'), 200],
    ['GET /health (200)', () => api.http().get('/health'), 200],
    ['GET /me with a token (200)', () => api.http().get('/me').set('Authorization', `Bearer ${tokens.access_token}`), 200],
    ['GET /.well-known/jwks.json (200)', () => api.http().get('/.well-known/jwks.json'), 200],
    ['GET /me without a token (401)', () => api.http().get('/me'), 401],
    ['an unknown route (404)', () => api.http().get('/admin'), 404],
    ['a validation failure (400)', () => api.http().post('/auth/login').send({}), 400],
    ['an RFC 6749 error (400)', () => api.http().post('/auth/refresh').send({ refresh_token: 'x' }), 400],
    [
      'an oversized body (413)',
      () =>
        api
          .http()
          .post('/auth/register')
          .send({ email: 'x'.repeat(17_000) }),
      413,
    ],
    ['an unsupported content type (415)', () => api.http().post('/auth/register').set('Content-Type', 'text/html').send('<p>'), 415],
    ['an undecodable URL (400, answered before routing)', () => api.http().get('/devices/%E0%A4%A'), 400],
  ])('sends nosniff, a deny-all CSP, DENY framing, no-referrer and no X-Powered-By on %s', async (label, send, status) => {
    const response = await send();
    expect(response.status).toBe(status);
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    const csp = String(response.headers['content-security-policy'])
      .split(';')
      .map((directive) => directive.trim());
    expect(csp).toEqual(expect.arrayContaining(["default-src 'none'", "frame-ancestors 'none'"]));
    expect(response.headers['x-powered-by']).toBeUndefined();
    expect(response.headers.server).toBeUndefined();
    expect(response.headers['x-frame-options']).toBe('DENY');
    expect(response.headers['referrer-policy']).toBe('no-referrer');
    // HSTS comes from helmet's hook, which runs for every request that reaches routing.
    if (!label.includes('before routing')) expect(response.headers['strict-transport-security']).toMatch(/^max-age=\d+/);
    expectNoLeak(response);
  });
});

/** Everything the app logs, through Nest's logger, as text. */
class CapturingLogger implements LoggerService {
  readonly lines: string[] = [];
  private record(level: string, message: unknown, params: unknown[]): void {
    this.lines.push(
      `${level} ${[message, ...params].map((part) => (typeof part === 'string' ? part : inspect(part, { depth: 10 }))).join(' ')}`,
    );
  }
  log(message: unknown, ...params: unknown[]) {
    this.record('log', message, params);
  }
  error(message: unknown, ...params: unknown[]) {
    this.record('error', message, params);
  }
  warn(message: unknown, ...params: unknown[]) {
    this.record('warn', message, params);
  }
  debug(message: unknown, ...params: unknown[]) {
    this.record('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]) {
    this.record('verbose', message, params);
  }
  fatal(message: unknown, ...params: unknown[]) {
    this.record('fatal', message, params);
  }
}

describe('logs (e2e)', () => {
  let app: NestFastifyApplication;
  let database: ScratchDatabase;
  const logger = new CapturingLogger();
  // The request lines (pino, JSON), beside Nest's own logs in `logger`.
  const requestLogs = new LogCapture();
  const clock = new TestClock();
  const publicUrl = 'https://auth.example.com';

  beforeAll(async () => {
    database = await scratchDatabase();
    app = await createApiApp({
      env: { JWT_SECRET: TEST_JWT_SECRET, DATABASE_URL: database.url, LOGIN_RATE_LIMIT: '3/15m', PUBLIC_URL: publicUrl },
      clock,
      logger,
      logDestination: requestLogs,
    });
  });

  afterAll(async () => {
    await app.close();
    await database.remove();
  });

  it('never contain a password, token, token hash, password hash, DPoP proof or the signing key, whatever the flow', async () => {
    const written: string[] = [];
    const capture = (chunk: unknown) => void written.push(String(chunk));
    const stdout = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => (capture(chunk), true));
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => (capture(chunk), true));
    let requestCount = 0;
    const http = () => {
      requestCount += 1;
      return request(app.getHttpServer());
    };
    const email = 'logged@example.com';
    const password = 'log-me-not password 1';
    const newPassword = 'log-me-not password 2';
    const tokens: TokenResponse[] = [];
    const hashes: string[] = [];
    const proofs: string[] = [];
    try {
      await http().post('/auth/register').send({ email, password }).expect(201);
      hashes.push((await app.get(DataSource).getRepository(UserEntity).findOneByOrFail({ email })).passwordHash);
      const first = (
        await http()
          .post('/auth/login')
          .set('User-Agent', 'LogTest/1.0')
          .send({ email, password, device: { name: 'Phone' } })
          .expect(200)
      ).body as TokenResponse;
      const second = (
        await http()
          .post('/auth/login')
          .send({ email, password, device: { name: 'Tablet' } })
          .expect(200)
      ).body as TokenResponse;
      tokens.push(first, second);
      const rotated = (await http().post('/auth/refresh').send({ refresh_token: first.refresh_token }).expect(200)).body as TokenResponse;
      tokens.push(rotated);
      await http().get('/me').set('Authorization', `Bearer ${rotated.access_token}`).expect(200);
      // Theft detection: the rotated-away token replayed after the grace period.
      clock.advance(11_000);
      await http().post('/auth/refresh').send({ refresh_token: first.refresh_token }).expect(400);
      clock.advance(-11_000);
      await http()
        .post('/auth/password')
        .set('Authorization', `Bearer ${second.access_token}`)
        .send({ currentPassword: password, newPassword })
        .expect(204);
      await http()
        .post('/auth/password')
        .set('Authorization', `Bearer ${second.access_token}`)
        .send({ currentPassword: password, newPassword: password })
        .expect(403);
      // A key-bound device: its proofs are credentials too (each one good for a minute).
      const keys = await generateKeyPair('ES256');
      const proof = async (method: string, path: string, token?: string) => {
        const made = await generateProof(keys, `${publicUrl}${path}`, method, undefined, token);
        proofs.push(made);
        return made;
      };
      const bound = (
        await http()
          .post('/auth/login')
          .set('DPoP', await proof('POST', '/auth/login'))
          .send({ email, password: newPassword, device: { name: 'Bound' } })
          .expect(200)
      ).body as TokenResponse;
      tokens.push(bound);
      await http()
        .get('/me')
        .set({ Authorization: `DPoP ${bound.access_token}`, DPoP: await proof('GET', '/me', bound.access_token) })
        .expect(200);
      const boundRotated = (
        await http()
          .post('/auth/refresh')
          .set('DPoP', await proof('POST', '/auth/refresh'))
          .send({ refresh_token: bound.refresh_token })
          .expect(200)
      ).body as TokenResponse;
      tokens.push(boundRotated);
      // Failed sign-ins (wrong password, unknown email) into the rate limit.
      const failures = [];
      for (let i = 0; i < 3; i++)
        failures.push(
          (
            await http()
              .post('/auth/login')
              .send({ email, password, device: { name: 'x' } })
          ).status,
        );
      failures.push(
        (
          await http()
            .post('/auth/login')
            .send({ email: 'nobody@example.com', password: newPassword, device: { name: 'x' } })
        ).status,
      );
      expect(failures).toEqual([401, 401, 429, 429]);
      // Malformed and forged input, with secrets in it.
      await http().post('/auth/login').set('Content-Type', 'application/json').send(`{"email":"${email}","password":"${password}"`);
      await http().post('/auth/refresh').set('Content-Type', 'application/json').send(`{"refresh_token":"${second.refresh_token}",}`);
      await http().get('/me').set('Authorization', `Bearer ${second.access_token}x`);
      await http().post('/auth/revoke').send({ token: second.refresh_token }).expect(200);
      await http().get('/me').set('Authorization', `Bearer ${second.access_token}`).expect(401);
    } finally {
      stdout.mockRestore();
      stderr.mockRestore();
    }

    const dataSource = app.get(DataSource);
    const users = await dataSource.getRepository(UserEntity).find();
    const refreshTokens = await dataSource.getRepository(RefreshTokenEntity).find();
    const secrets = [
      password,
      newPassword,
      TEST_JWT_SECRET,
      ...tokens.flatMap((pair) => [pair.access_token, pair.access_token.split('.')[2], pair.refresh_token]),
      ...hashes,
      ...users.map((user) => user.passwordHash),
      ...refreshTokens.flatMap((token) => [token.tokenHash, ...(token.sealedSuccessor ? [token.sealedSuccessor] : [])]),
      ...proofs.flatMap((proof) => [proof, proof.split('.')[2]]),
    ];
    expect(secrets.length).toBeGreaterThan(15);
    const everything = [...logger.lines, ...written, requestLogs.text].join('\n');
    // The captures work: Nest's start-up lines went through one, a JSON line per request through the other.
    expect(logger.lines.some((line) => line.includes('Nest application successfully started'))).toBe(true);
    expect(requestLogs.requests).toHaveLength(requestCount);
    expect(requestLogs.requests.every((line) => typeof line.requestId === 'string' && typeof line.status === 'number')).toBe(true);
    for (const secret of secrets) expect(everything).not.toContain(secret);
  });
});

describe('a database outage (e2e)', () => {
  // Closing the DataSource under the app is how this suite cuts the database off; on
  // PostgreSQL a real outage is covered by scale-out.e2e-spec.ts (server stopped).
  const onSqlite = testPostgresUrl() ? it.skip : it;
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi();
  });

  afterAll(async () => {
    await api.close();
  });

  onSqlite('answers 503 without stack traces or SQL, and still serves GET /me from the token alone', async () => {
    const { email, password, tokens } = await registerAndLogin(api);
    await api.dataSource.destroy();
    expectProblem(await api.http().get('/health'), 503);
    expectProblem(
      await api
        .http()
        .post('/auth/login')
        .send({ email, password, device: { name: 'x' } }),
      503,
    );
    expectProblem(await api.http().post('/auth/register').send({ email: 'during-outage@example.com', password }), 503);
    expectProblem(await api.http().get('/devices').set('Authorization', `Bearer ${tokens.access_token}`), 503);
    expectOAuthError(await api.http().post('/auth/refresh').send({ refresh_token: tokens.refresh_token }), 503, 'temporarily_unavailable');
    // The guarded path needs no database query.
    await api.http().get('/me').set('Authorization', `Bearer ${tokens.access_token}`).expect(200);
  });
});
