import { ApiClient } from '../support/api-client.js';
import { check, email, log, PASSWORD, SCRIPTS, startApi, type Context } from '../support/context.js';
import { runLoad, type LoadResult } from '../support/load.js';
import { ratioSummary, summary, type RatioSummary, type RunSummary } from '../support/run-summary.js';
import { ServerProcess } from '../support/server-process.js';
import { median, round } from '../support/stats.js';

/** Figure 9. */
export interface VerifierOverhead {
  readonly withVerifier: RunSummary;
  readonly without: RunSummary;
  readonly ratio: RatioSummary;
}

/**
 * Figure 9: what @device-auth/verifier costs a service outside that trusts the tokens: the same
 * Express app and handler, with and without expressMiddleware (HS256 shared secret, revocation
 * feed followed), in interleaved rounds with one access token.
 */
export async function measureVerifierOverhead(context: Context): Promise<VerifierOverhead> {
  const { settings } = context;
  const api = await startApi(context);
  const { jwt } = context.config;
  const start = (verifier: 'on' | 'off') =>
    ServerProcess.start({
      name: `Express, verifier ${verifier}`,
      script: SCRIPTS.outsideService,
      cwd: context.scratch,
      env: {
        BENCH_VERIFIER: verifier,
        AUTH_URL: api.url,
        JWT_SECRET: context.secret,
        JWT_ISSUER: jwt.issuer,
        JWT_AUDIENCE: jwt.audience,
        REVOCATION_FEED_TOKEN: context.feedToken,
      },
      readyPath: '/health',
    });
  const withVerifier = await start('on');
  const without = await start('off');
  try {
    const client = new ApiClient(api.url);
    await client.register(email('outside'), PASSWORD);
    const tokens = await client.login(email('outside'), PASSWORD, 'Bench phone');
    const headers = { authorization: `Bearer ${tokens.access_token}` };
    check(
      (await new ApiClient(withVerifier.url).status('/orders', tokens.access_token)) === 200,
      'the verified service accepts a live token',
    );
    check((await new ApiClient(withVerifier.url).status('/orders')) === 401, 'the verified service refuses a request without a token');
    check((await new ApiClient(without.url).status('/orders')) === 200, 'the unverified twin answers without a token');
    const targets = [
      { key: 'on', server: withVerifier },
      { key: 'off', server: without },
    ] as const;
    for (const target of targets)
      await runLoad(target.server, { connections: settings.connections, path: '/orders', headers, durationS: settings.warmupS });
    const runs: Record<'on' | 'off', LoadResult[]> = { on: [], off: [] };
    for (let roundIndex = 0; roundIndex < settings.throughputRounds; roundIndex++) {
      for (const target of roundIndex % 2 === 0 ? targets : [...targets].reverse()) {
        runs[target.key].push(
          await runLoad(target.server, { connections: settings.connections, path: '/orders', headers, durationS: settings.runS }),
        );
      }
    }
    check(
      runs.on.every((run) => run.errors === 0),
      'no request through the verifier failed',
    );
    log(`verifier overhead: ${round(median(runs.on.map((r) => r.rps)), 0)} vs ${round(median(runs.off.map((r) => r.rps)), 0)} req/s`);
    return {
      withVerifier: summary(runs.on),
      without: summary(runs.off),
      ratio: ratioSummary(runs.on.map((run, i) => run.rps / runs.off[i].rps)),
    };
  } finally {
    await Promise.all([api.stop(), withVerifier.stop(), without.stop()]);
  }
}
