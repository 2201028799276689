import type { TokenResponse } from '@app/auth';
import { ApiClient } from '../support/api-client.js';
import { check, email, log, PASSWORD, SCRIPTS, sleep, type Context } from '../support/context.js';
import { ServerProcess } from '../support/server-process.js';
import { round } from '../support/stats.js';

/** Figure 8, on one database. */
export interface RevocationSpread {
  readonly database: string;
  readonly push: boolean;
  readonly samples: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

/**
 * Figure 8: how long a device revoked through one API process keeps working on another (the
 * window a JWT design leaves open): sign in on A, see GET /me pass on B, log out on A, then ask
 * B every 2 ms until it refuses. SQLite has the periodic sync (REVOCATION_SYNC_INTERVAL, 1 s)
 * only; PostgreSQL pushes (LISTEN/NOTIFY).
 */
export async function measureRevocationSpread(context: Context, databaseUrl: string): Promise<RevocationSpread> {
  const { settings } = context;
  const env = { ...context.serverEnv, DATABASE_URL: databaseUrl, REVOCATION_SYNC_INTERVAL: '1s' };
  const start = (name: string) => ServerProcess.start({ name, script: SCRIPTS.api, cwd: context.scratch, env, readyPath: '/health' });
  const first = await start('api A');
  const second = await start('api B');
  const push = databaseUrl.startsWith('postgres');
  try {
    const a = new ApiClient(first.url);
    const b = new ApiClient(second.url);
    const user = email(`spread-${push ? 'pg' : 'sqlite'}`);
    await a.register(user, PASSWORD);
    const sessions: TokenResponse[] = [];
    for (let i = 0; i < settings.spreadSamples; i++) sessions.push(await a.login(user, PASSWORD, `Spread ${i}`));
    const samples: number[] = [];
    for (const tokens of sessions) {
      check((await b.status('/me', tokens.access_token)) === 200, 'the other process lets the device in before it is revoked');
      check((await a.logout(tokens.access_token)) === 204, 'logout answers 204');
      const revokedAt = performance.now();
      while ((await b.status('/me', tokens.access_token)) === 200) {
        check(performance.now() - revokedAt < 5000, 'the other process refuses a revoked device within 5 s');
        await sleep(2);
      }
      samples.push(performance.now() - revokedAt);
      // Spread the samples over the sync interval's phase, as revocations arrive in practice.
      await sleep(Math.random() * 200);
    }
    samples.sort((x, y) => x - y);
    const at = (q: number) => round(samples[Math.min(samples.length - 1, Math.floor(q * samples.length))], 1);
    log(`revocation spread (${push ? 'PostgreSQL push' : 'SQLite polling'}): p50 ${at(0.5)} ms, max ${round(samples.at(-1)!, 1)} ms`);
    return {
      database: push ? 'PostgreSQL (push)' : 'SQLite (polling)',
      push,
      samples: samples.length,
      p50Ms: at(0.5),
      p99Ms: at(0.99),
      maxMs: round(samples.at(-1)!, 1),
    };
  } finally {
    await Promise.all([first.stop(), second.stop()]);
  }
}
