import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { Clock } from '@app/platform';

// What the e2e suites of both apps share: a scratch database per suite (SQLite, or PostgreSQL
// in that Jest project), the JWT secret they start apps with, and a clock they can move.

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
