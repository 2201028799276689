import type { TokenResponse } from '@app/auth';
import type { ApiClient } from '../support/api-client.js';
import { log, PASSWORD, type Context } from '../support/context.js';
import { runLoad, type LoadClient, type LoadResult, type LoadSpec } from '../support/load.js';
import type { ServerProcess } from '../support/server-process.js';
import { median, round } from '../support/stats.js';

/** Figures 4 and 4b. */
export interface RefreshFigures {
  readonly sessions: number;
  readonly rotationsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly errors: number;
  readonly serverCores: number;
  readonly serverCpuUsPerRotation: number;
  readonly rounds: {
    readonly rps: number;
    readonly p50Ms: number;
    readonly p99Ms: number;
    readonly errors: number;
    readonly chainChecksFailed: number;
    readonly serverCores: number;
  }[];
}

/**
 * Figure 4 (and 4b, on another database): refresh-token rotations per second, with their
 * latency and errors, on a running API. 32 device sessions, each refreshing in a chain: every
 * request presents the refresh token its connection's previous response returned, as a client
 * does, so that every rotation is a real one (spend the token, insert its successor).
 */
export async function measureRefresh(
  context: Context,
  api: ServerProcess,
  client: ApiClient,
  users: readonly string[],
): Promise<RefreshFigures> {
  const { settings } = context;
  const chainedRun = (durationS: number) => chainedRefreshRun(api, client, users, durationS);

  const warmup = await chainedRun(settings.warmupS);
  const runs: Awaited<ReturnType<typeof chainedRun>>[] = [];
  for (let roundIndex = 0; roundIndex < settings.refreshRounds; roundIndex++) {
    const result = await chainedRun(settings.refreshRunS);
    runs.push(result);
    log(
      `refresh round ${roundIndex + 1}/${settings.refreshRounds}: ${Math.round(result.rps)} rotations/s, p99 ${result.p99Ms} ms, ${result.errors + result.chainChecksFailed} errors`,
    );
  }
  return {
    sessions: users.length,
    rotationsPerSecond: round(median(runs.map((r) => r.rps)), 0),
    p50Ms: median(runs.map((r) => r.p50Ms)),
    p99Ms: median(runs.map((r) => r.p99Ms)),
    // The warm-up run's errors count too: any failed rotation is an error.
    errors: [warmup, ...runs].reduce((sum, r) => sum + r.errors + r.chainChecksFailed, 0),
    serverCores: round(median(runs.map((r) => r.serverCores))),
    serverCpuUsPerRotation: round(median(runs.map((r) => r.serverCpuUsPerRequest)), 0),
    rounds: runs.map((r) => ({
      rps: round(r.rps, 0),
      p50Ms: r.p50Ms,
      p99Ms: r.p99Ms,
      errors: r.errors,
      chainChecksFailed: r.chainChecksFailed,
      serverCores: round(r.serverCores),
    })),
  };
}

/**
 * One run of figure 4's method: `users.length` sessions signed in afresh, each refreshing in a
 * chain on its own connection for `durationS`; then every chain's newest token must still
 * refresh (`chainChecksFailed` counts those that do not).
 */
export async function chainedRefreshRun(
  api: ServerProcess,
  client: ApiClient,
  users: readonly string[],
  durationS: number,
): Promise<LoadResult & { readonly chainChecksFailed: number }> {
  const sessions: { token: string }[] = [];
  for (let i = 0; i < users.length; i += 8) {
    const logins = users.slice(i, i + 8).map((user, j) => client.login(user, PASSWORD, `Bench phone ${i + j}`));
    for (const tokens of await Promise.all(logins)) sessions.push({ token: tokens.refresh_token });
  }
  let nextSession = 0;
  const spec: LoadSpec = {
    connections: sessions.length,
    durationS,
    // One session per connection, for the whole run: autocannon resets its per-connection
    // `context` between iterations of a one-request list, so the chain lives in this closure.
    setupClient: (loadClient: LoadClient) => {
      const session = sessions[nextSession++ % sessions.length];
      loadClient.setRequests([
        {
          method: 'POST',
          path: '/auth/refresh',
          headers: { 'content-type': 'application/json' },
          setupRequest: (request) => ({
            ...request,
            body: JSON.stringify({ grant_type: 'refresh_token', refresh_token: session.token }),
          }),
          onResponse: (status, body) => {
            if (status === 200) session.token = (JSON.parse(body) as TokenResponse).refresh_token;
          },
        },
      ]);
    },
  };
  const result = await runLoad(api, spec);
  // Every chain is intact: its newest token still refreshes (a request cut off when the run
  // ended is within the grace period and answered with the same successor).
  const statuses = await Promise.all(sessions.map((session) => client.refresh(session.token)));
  return { ...result, chainChecksFailed: statuses.filter((status) => status !== 200).length };
}
