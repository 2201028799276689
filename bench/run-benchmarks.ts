// `npm run bench`: measures the claim the design rests on (a JWT verified from memory instead
// of a database lookup per request) against the real built apps, started as the README starts
// them, on a scratch database. Prints a table and writes bench/results/latest.json (+ .md).
// Load generator and servers share the machine, so every figure that is compared is a ratio
// of interleaved runs, and the report gives medians of those ratios.
//
// Options (environment): BENCH_QUICK=1 (short runs), BENCH_SECTIONS=throughput,refresh,managed,…
// (a subset, by the start of the section names below), BENCH_DATABASE_URL (figures 1–5 on that
// database instead of scratch SQLite), BENCH_POSTGRES_URL (the server for the PostgreSQL
// figures; off = none). Each figure lives in bench/figures/, the report in bench/report.ts.
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppConfig } from '@app/platform';
import { measureThroughput } from './figures/01-throughput.js';
import { measureRefresh } from './figures/04-refresh.js';
import { measureRefreshOnPostgres } from './figures/04b-refresh-postgres.js';
import { measureLoginStorm } from './figures/05-login-storm.js';
import { measureMemory } from './figures/06-memory.js';
import { measureFailedSignInTiming } from './figures/07-failed-sign-in-timing.js';
import { measureRevocationSpread } from './figures/08-revocation-spread.js';
import { measureVerifierOverhead } from './figures/09-verifier-overhead.js';
import { measureReplayCacheMemory } from './figures/10-replay-cache-memory.js';
import { measureMailOffTheRequestPath } from './figures/11-mail-off-the-request-path.js';
import { measureStrongSignIn } from './figures/12-strong-sign-in.js';
import { measureSsfPushLatency } from './figures/14-ssf-push-latency.js';
import { measureEs256ManagedKeys } from './figures/13-es256-managed-keys.js';
import { header, machine, markdown, printTable, rows, type Results, type Sections } from './report.js';
import { ApiClient } from './support/api-client.js';
import { benchSettings, email, log, registerAll, RUN_ID, startApi, type Context } from './support/context.js';
import { scratchPostgres } from './support/scratch-postgres.js';
import { round } from './support/stats.js';

/** Production refuses to start without SMTP_URL (API.md § Accounts); nothing is mailed in these runs. */
const PRODUCTION_SMTP_URL = 'smtp://127.0.0.1:2525';

const quick = process.env.BENCH_QUICK === '1';
const settings = benchSettings(quick);

// 4 and 5 share one API process (and its users).
async function measureRefreshAndStorm(context: Context): Promise<NonNullable<Sections['refreshAndStorm']>> {
  const api = await startApi(context);
  try {
    const client = new ApiClient(api.url);
    const users = Array.from({ length: context.settings.refreshSessions }, (_, i) => email(`session-${i}`));
    await registerAll(client, users);
    const refresh = await measureRefresh(context, api, client, users);
    const storm = await measureLoginStorm(context, api, client, users.slice(0, context.settings.stormLogins));
    return { refresh, storm };
  } finally {
    await api.stop();
  }
}

/** Runs the selected sections in order, each unless the run's deadline has passed. */
async function collect(context: Context): Promise<Results> {
  const started = Date.now();
  const sections: Sections = {};
  const skipped: string[] = [];
  const loadAverage: { section: string; before: number; after?: number }[] = [];
  // BENCH_SECTIONS=throughput,refresh,memory runs a subset (all by default).
  const only = process.env.BENCH_SECTIONS?.split(',').map((name) => name.trim());
  const section = async <T>(name: string, work: () => Promise<T>): Promise<T | undefined> => {
    if (only && !only.some((wanted) => name.startsWith(wanted))) return undefined;
    if (Date.now() > context.deadline) {
      skipped.push(`${name} (deadline)`);
      return undefined;
    }
    log(`${name}…`);
    // Other processes on the machine move absolute figures; the 1-minute load average says how busy it was.
    loadAverage.push({ section: name, before: round(loadavg()[0]) });
    const result = await work();
    loadAverage.at(-1)!.after = round(loadavg()[0]);
    return result;
  };
  sections.throughput = await section('throughput (1–3)', () => measureThroughput(context));
  sections.refreshAndStorm = await section('refresh and login storm (4–5)', () => measureRefreshAndStorm(context));
  if (context.postgresUrl) {
    const postgresUrl = context.postgresUrl;
    sections.refreshPostgres = await section('refresh on PostgreSQL (4b)', () => measureRefreshOnPostgres(context, postgresUrl));
  }
  const spread = await section('revocation spread (8)', async () => {
    const figures = [await measureRevocationSpread(context, context.databaseUrl)];
    if (context.postgresUrl && context.sqlite) figures.push(await measureRevocationSpread(context, context.postgresUrl));
    return figures;
  });
  if (spread) sections.revocationSpread = spread;
  sections.ssfPush = await section('ssf push latency (14)', () => measureSsfPushLatency(context));
  sections.verifierOverhead = await section('verifier package overhead (9)', () => measureVerifierOverhead(context));
  sections.memory = await section('memory (6)', () => measureMemory(context));
  sections.failedSignInTiming = await section('timing of failed sign-ins (7)', () => measureFailedSignInTiming(context));
  sections.replayCacheMemory = await section('replay cache memory (10)', async () => measureReplayCacheMemory());
  sections.mail = await section('mail off the request path (11)', () => measureMailOffTheRequestPath(context));
  sections.strongSignIn = await section('passkey and TOTP sign-in (12)', () => measureStrongSignIn(context));
  sections.es256 = await section('managed ES256 keys beside static HS256 (13)', () => measureEs256ManagedKeys(context));
  return { ...sections, skipped, loadAverage, seconds: round((Date.now() - started) / 1000, 0) };
}

async function main(): Promise<void> {
  const scratch = mkdtempSync(join(tmpdir(), 'device-auth-bench-'));
  const secret = randomBytes(48).toString('base64url');
  const feedToken = randomBytes(32).toString('base64url');
  // Hook for PostgreSQL: BENCH_DATABASE_URL=postgres://… runs sections 1–5 against that
  // (empty, disposable) database; section 6 seeds SQLite only.
  const databaseUrl = process.env.BENCH_DATABASE_URL ?? `sqlite:${join(scratch, 'auth.sqlite')}`;
  // The server for the figures measured on both databases (default: the local one the tests use).
  const postgresServer = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const postgres = postgresServer === 'off' ? null : await scratchPostgres(postgresServer, `device_auth_bench_${RUN_ID}`);
  const config = AppConfig.fromEnv({ JWT_SECRET: secret, DATABASE_URL: databaseUrl });
  const context: Context = {
    settings,
    scratch,
    databaseUrl,
    sqlite: databaseUrl.startsWith('sqlite:'),
    postgresUrl: postgres?.url ?? null,
    secret,
    config,
    feedToken,
    serverEnv: {
      NODE_ENV: 'production',
      SMTP_URL: PRODUCTION_SMTP_URL,
      JWT_SECRET: secret,
      // One issuer for every process (each has its own PUBLIC_URL, which would otherwise be its
      // default issuer), so that they accept each other's tokens, and the harness's.
      JWT_ISSUER: config.jwt.issuer,
      DATABASE_URL: databaseUrl,
      LOGIN_RATE_LIMIT: '1000000/1m',
      REGISTER_RATE_LIMIT: '1000000/1m',
      REVOCATION_FEED_TOKEN: feedToken,
    },
    deadline: Date.now() + settings.deadlineS * 1000,
  };
  const info = machine();
  log(header(info));
  const when = new Date().toISOString();
  let results: Results;
  try {
    results = await collect(context);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    await postgres?.drop();
  }
  const table = rows(results, context.sqlite ? 'SQLite' : 'PostgreSQL');
  printTable(info, table, results);
  const out = join(process.cwd(), 'bench', 'results');
  mkdirSync(out, { recursive: true });
  writeFileSync(
    join(out, 'latest.json'),
    `${JSON.stringify({ when, machine: info, settings, quick, database: context.sqlite ? 'sqlite' : 'postgres', table, ...results }, null, 2)}\n`,
  );
  writeFileSync(join(out, 'latest.md'), markdown(info, table, when, results));
  console.log(`wrote ${join('bench', 'results', 'latest.json')} and latest.md`);
}

await main();
