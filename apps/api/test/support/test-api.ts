import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent.js';
import { DataSource } from 'typeorm';
import type { TokenResponse } from '@app/auth';
import { AppConfig, type Environment, type LoggingOptions } from '@app/platform';
import { createApiApp } from '../../src/create-api-app.js';

import { scratchDatabase, TEST_JWT_SECRET, TestClock } from '../../../../test/support/scratch-database.js';
import { GENEROUS_DEADLINE_MS, waitFor as pollUntil } from '../../../../test/support/wait-for.js';

export {
  adminQuery,
  scratchDatabase,
  TEST_JWT_SECRET,
  TestClock,
  testPostgresUrl,
  type ScratchDatabase,
} from '../../../../test/support/scratch-database.js';

export interface TestApi {
  readonly app: NestFastifyApplication;
  readonly config: AppConfig;
  readonly clock: TestClock;
  readonly dataSource: DataSource;
  readonly databaseUrl: string;
  http(): TestAgent;
  close(): Promise<void>;
}

/**
 * Starts the real API (createApiApp, as main.ts does) on a scratch database, with test
 * settings that the suite can override. Quiet, unless `logDestination` is given: then the
 * request log lines are written there as JSON.
 */
export async function startTestApi(env: Environment = {}, logging: Pick<LoggingOptions, 'logDestination'> = {}): Promise<TestApi> {
  const database = env.DATABASE_URL ? undefined : await scratchDatabase();
  const databaseUrl = env.DATABASE_URL ?? database!.url;
  const clock = new TestClock();
  const app = await createApiApp({
    env: { JWT_SECRET: TEST_JWT_SECRET, LOGIN_RATE_LIMIT: '1000/15m', REGISTER_RATE_LIMIT: '100000/1h', ...env, DATABASE_URL: databaseUrl },
    clock,
    logger: false,
    ...logging,
  });
  return {
    app,
    config: app.get(AppConfig),
    clock,
    dataSource: app.get(DataSource),
    databaseUrl,
    http: () => request(app.getHttpServer()),
    async close() {
      await app.close();
      await database?.remove();
    },
  };
}

let counter = 0;

export interface SignedIn {
  readonly email: string;
  readonly password: string;
  readonly userId: string;
  readonly tokens: TokenResponse;
}

/** Registers a new user and signs in one device. */
export async function registerAndLogin(api: TestApi, device: { name?: string; platform?: string } = {}): Promise<SignedIn> {
  const email = `user${++counter}-${Date.now()}@example.com`;
  const password = 'correct horse battery';
  const registered = await api.http().post('/auth/register').send({ email, password }).expect(201);
  const tokens = await login(api, email, password, device);
  return { email, password, userId: registered.body.id, tokens };
}

export async function login(
  api: TestApi,
  email: string,
  password: string,
  device: { name?: string; platform?: string } = {},
): Promise<TokenResponse> {
  const response = await api
    .http()
    .post('/auth/login')
    .send({ email, password, device: { name: device.name ?? 'Test phone', ...(device.platform ? { platform: device.platform } : {}) } })
    .expect(200);
  return response.body as TokenResponse;
}

export function bearer(tokens: TokenResponse | string): string {
  return `Bearer ${typeof tokens === 'string' ? tokens : tokens.access_token}`;
}

export function refresh(api: TestApi, refreshToken: string) {
  return api.http().post('/auth/refresh').send({ refresh_token: refreshToken });
}

/** Decodes a JWT's header and payload, for assertions (verifies nothing). */
export function decodeJwt(token: string): { header: Record<string, unknown>; payload: Record<string, unknown> } {
  const [header, payload] = token
    .split('.')
    .slice(0, 2)
    .map((part) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')));
  return { header, payload };
}

/** Polls until `check` is true, failing after `timeoutMs` (a generous deadline, not a latency bound): see test/support/wait-for.ts. */
export async function waitFor(check: () => Promise<boolean>, timeoutMs: number = GENEROUS_DEADLINE_MS): Promise<void> {
  await pollUntil(async () => (await check()) || undefined, { timeoutMs });
}
