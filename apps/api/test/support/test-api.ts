import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent.js';
import { DataSource } from 'typeorm';
import type { TokenResponse } from '@app/auth';
import { AppConfig, Clock, type Environment } from '@app/platform';
import { createApiApp } from '../../src/create-api-app.js';

export const TEST_JWT_SECRET = 'e2e-test-secret-that-is-at-least-32-bytes-long';

/** A clock the test can move; starts at the real time. */
export class TestClock extends Clock {
  private offsetMs = 0;

  override now(): number {
    return Date.now() + this.offsetMs;
  }

  advance(ms: number): void {
    this.offsetMs += ms;
  }
}

export interface TestApi {
  readonly app: NestFastifyApplication;
  readonly config: AppConfig;
  readonly clock: TestClock;
  readonly dataSource: DataSource;
  readonly databaseUrl: string;
  http(): TestAgent;
  close(): Promise<void>;
}

export interface ScratchDatabase {
  readonly url: string;
  readonly kind: 'sqlite' | 'postgres';
  remove(): Promise<void>;
}

/** The PostgreSQL server of the "postgres" Jest project (see jest.config.ts), if this is it. */
export function testPostgresUrl(): string | undefined {
  return (globalThis as { __TEST_DATABASE_URL__?: string }).__TEST_DATABASE_URL__;
}

/**
 * A fresh database for one test suite: a SQLite file in a temporary folder or, in the
 * PostgreSQL project, a new database on the TEST_DATABASE_URL server, dropped afterwards.
 */
export async function scratchDatabase(): Promise<ScratchDatabase> {
  const server = testPostgresUrl();
  if (server) {
    const name = `device_auth_e2e_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
    await adminQuery(server, `CREATE DATABASE ${name}`);
    const url = new URL(server);
    url.pathname = `/${name}`;
    return { url: url.toString(), kind: 'postgres', remove: () => adminQuery(server, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
  }
  const dir = mkdtempSync(join(tmpdir(), 'device-auth-e2e-'));
  return {
    url: `sqlite:${join(dir, 'auth.sqlite')}`,
    kind: 'sqlite',
    remove: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Runs one statement on a PostgreSQL server through a short-lived connection. */
export async function adminQuery(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * Starts the real API (createApiApp, as main.ts does) on a scratch database, with test
 * settings that the suite can override.
 */
export async function startTestApi(env: Environment = {}): Promise<TestApi> {
  const database = env.DATABASE_URL ? undefined : await scratchDatabase();
  const databaseUrl = env.DATABASE_URL ?? database!.url;
  const clock = new TestClock();
  const app = await createApiApp({
    env: { JWT_SECRET: TEST_JWT_SECRET, LOGIN_RATE_LIMIT: '1000/15m', REGISTER_RATE_LIMIT: '100000/1h', ...env, DATABASE_URL: databaseUrl },
    clock,
    logger: false,
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

export async function login(api: TestApi, email: string, password: string, device: { name?: string; platform?: string } = {}): Promise<TokenResponse> {
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
  const [header, payload] = token.split('.').slice(0, 2).map((part) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')));
  return { header, payload };
}

/** Polls until `check` is true or `timeoutMs` passes; returns the elapsed milliseconds. */
export async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started <= timeoutMs) {
    if (await check()) return Date.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`condition not met within ${timeoutMs} ms`);
}
