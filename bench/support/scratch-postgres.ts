import pg from 'pg';
import { log } from './context.js';

export interface ScratchPostgres {
  readonly url: string;
  drop(): Promise<void>;
}

/**
 * A scratch database `name` on the PostgreSQL server at `server`, for the figures measured on
 * both databases; null (those figures are left out) when no server answers.
 */
export async function scratchPostgres(server: string, name: string): Promise<ScratchPostgres | null> {
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: server, connectionTimeoutMillis: 3000 });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  try {
    await admin(`CREATE DATABASE ${name}`);
  } catch (error) {
    log(`no PostgreSQL figures: ${(error as Error).message}`);
    return null;
  }
  const url = new URL(server);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}
