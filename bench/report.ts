// The report: the shape of a run's results (what bench/results/latest.json holds; each figure
// declares its own part beside the function that measures it), the machine it ran on, and the
// table printed and written as markdown, with its number formatting and targets.
import { execFileSync } from 'node:child_process';
import { arch, cpus, platform, totalmem } from 'node:os';
import type { ThroughputFigures } from './figures/01-throughput.js';
import type { RefreshFigures } from './figures/04-refresh.js';
import type { LoginStormFigures } from './figures/05-login-storm.js';
import type { MemoryFigures } from './figures/06-memory.js';
import type { FailedSignInTiming } from './figures/07-failed-sign-in-timing.js';
import type { RevocationSpread } from './figures/08-revocation-spread.js';
import type { VerifierOverhead } from './figures/09-verifier-overhead.js';
import type { ReplayCacheMemory } from './figures/10-replay-cache-memory.js';
import type { MailOffTheRequestPath } from './figures/11-mail-off-the-request-path.js';
import type { StrongSignIn } from './figures/12-strong-sign-in.js';
import type { SsfPushLatency } from './figures/14-ssf-push-latency.js';
import type { Es256ManagedKeys } from './figures/13-es256-managed-keys.js';
import { round } from './support/stats.js';

/** What each section measured (absent: not selected, or skipped). */
export interface Sections {
  throughput?: ThroughputFigures;
  refreshAndStorm?: { readonly refresh: RefreshFigures; readonly storm: LoginStormFigures };
  memory?: MemoryFigures;
  failedSignInTiming?: FailedSignInTiming;
  refreshPostgres?: RefreshFigures;
  revocationSpread?: RevocationSpread[];
  ssfPush?: SsfPushLatency;
  verifierOverhead?: VerifierOverhead;
  replayCacheMemory?: ReplayCacheMemory;
  mail?: MailOffTheRequestPath;
  strongSignIn?: StrongSignIn;
  es256?: Es256ManagedKeys;
}

export type Results = Sections & {
  readonly skipped: string[];
  readonly loadAverage: { section: string; before: number; after?: number }[];
  readonly seconds: number;
};

export interface Machine {
  readonly cores: number;
  readonly cpu: string;
  readonly memoryGiB: number;
  readonly node: string;
  readonly os: string;
  readonly commit: string;
}

export function machine(): Machine {
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'apps', 'libs'], { encoding: 'utf8' }).trim();
    if (dirty) commit += ' (apps/libs modified)';
  } catch {
    // not a git checkout
  }
  return {
    cores: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    memoryGiB: round(totalmem() / 2 ** 30, 1),
    node: process.version,
    os: `${platform()} ${arch()}`,
    commit,
  };
}

export interface Row {
  figure: string;
  measured: string;
  target: string;
  met: boolean | null;
}

/** The table's rows, in the order they are printed. */
export function rows(results: Results, database: string): Row[] {
  const out: Row[] = [];
  const t = results.throughput;
  if (t) {
    const range = (r: { min: number; max: number }) => `(${r.min.toFixed(2)}–${r.max.toFixed(2)})`;
    const c = t.cpuNormalised;
    const rps = (key: string) => t.targets[key as keyof typeof t.targets]?.rps ?? 0;
    out.push({
      figure: '1. Guard cost: GET /me ÷ the same handler without the guard, one process (req/s)',
      measured: `${t.guardCost.median.toFixed(2)} ${range(t.guardCost)}; ${rps('twinMe')} vs ${rps('twin')} req/s; per CPU-second ${c.guardCost.median.toFixed(2)}`,
      target: '≥ 0.9',
      met: t.guardCost.median >= 0.9,
    });
    out.push({
      figure: '1b. The guard alone: GET /me ÷ the twin sent the same token (ignored), same rounds',
      measured: `${t.guardAlone.median.toFixed(2)} ${range(t.guardAlone)}; ${rps('twinToken')} req/s; per CPU-second ${c.guardAlone.median.toFixed(2)}`,
      target: 'reported',
      met: null,
    });
    out.push({
      figure: '1c. Null control: GET /me on the API process ÷ the same on the twin process (nothing differs but the process)',
      measured: `${t.processControl.median.toFixed(2)} ${range(t.processControl)}; ${rps('me')} vs ${rps('twinMe')} req/s; per CPU-second ${c.processControl.median.toFixed(2)} ${range(c.processControl)}`,
      target: 'reported',
      met: null,
    });
    if (t.jwtOverPostgres) {
      out.push({
        figure: '2. JWT guard ÷ PostgreSQL device-lookup guard',
        measured: `${t.jwtOverPostgres.median.toFixed(2)}× ${range(t.jwtOverPostgres)}; ${rps('postgresGuard')} req/s with lookup`,
        target: '≥ 3×',
        met: t.jwtOverPostgres.median >= 3,
      });
    }
    out.push({
      figure: '2b. JWT guard ÷ SQLite device-lookup guard (embedded)',
      measured: `${t.jwtOverDatabase.median.toFixed(2)}× ${range(t.jwtOverDatabase)}; ${rps('databaseGuard')} req/s with lookup; per CPU-second ${c.jwtOverDatabase.median.toFixed(2)}×`,
      target: 'reported',
      met: null,
    });
    out.push({
      figure: '3. GET /me ÷ bare node:http + node:crypto, request lines on (stdout read through a pipe)',
      measured: `${t.meOverBare.median.toFixed(2)} ${range(t.meOverBare)}; bare ${rps('bare')} req/s; per CPU-second ${c.meOverBare.median.toFixed(2)}; ${t.requestLines.read} lines read for ${t.requestLines.answered} requests answered`,
      target: '≥ 0.6',
      met: t.meOverBare.median >= 0.6,
    });
    out.push({
      figure: '3c. The same, LOG_REQUESTS=off (same rounds)',
      measured: `${t.meQuietOverBare.median.toFixed(2)} ${range(t.meQuietOverBare)}; ${rps('meQuiet')} req/s; per CPU-second ${c.meQuietOverBare.median.toFixed(2)}`,
      target: 'reported',
      met: null,
    });
  }
  if (t) {
    const c = t.cpuNormalised;
    out.push({
      figure: '3b. GET /me with a DPoP-bound token ÷ with a bearer token',
      measured: `${t.dpopOverBearer.median.toFixed(2)} (${t.dpopOverBearer.min.toFixed(2)}–${t.dpopOverBearer.max.toFixed(2)}); ${t.targets.dpop?.rps ?? 0} req/s over ${t.dpopKeys} keys, ${t.dpopErrors} errors; per CPU-second ${c.dpopOverBearer.median.toFixed(2)}; one proof verification ${t.proofVerifyUs.microseconds} µs`,
      target: '≥ 0.5',
      met: t.dpopOverBearer.median >= 0.5 && t.dpopErrors === 0,
    });
  }
  const r = results.refreshAndStorm;
  if (r) {
    const f = r.refresh;
    const p = results.refreshPostgres;
    out.push({
      figure: `4. Refresh rotations/s (${f.sessions} chained sessions, ${database})`,
      measured: `${f.rotationsPerSecond}/s, p50 ${f.p50Ms} ms, p99 ${f.p99Ms} ms, ${f.errors} errors; ${f.serverCpuUsPerRotation} µs server CPU each`,
      target: '≥ 2,000/s, p99 < 50 ms, 0 errors',
      met: f.rotationsPerSecond >= 2000 && f.p99Ms < 50 && f.errors === 0,
    });
    if (p) {
      out.push({
        figure: `4b. Refresh rotations/s (${p.sessions} chained sessions, local PostgreSQL)`,
        measured: `${p.rotationsPerSecond}/s, p50 ${p.p50Ms} ms, p99 ${p.p99Ms} ms, ${p.errors} errors; ${p.serverCpuUsPerRotation} µs server CPU each`,
        target: 'reported, 0 errors',
        met: p.errors === 0,
      });
    }
    const s = r.storm;
    out.push({
      figure: `5. GET /me p99 during ${s.concurrentLogins} concurrent logins (${s.meRate} req/s, paced)`,
      measured: `${s.storm.p99Ms} ms (alone: ${s.quiet.p99Ms} ms); ${s.logins.perSecond} logins/s, ${s.storm.errors + s.logins.failures} errors`,
      target: '< 25 ms',
      met: s.storm.p99Ms < 25 && s.storm.errors === 0,
    });
  }
  const m = results.memory;
  if (m && 'seeded' in m) {
    out.push({
      figure: `6. RSS, ${m.devices.toLocaleString('en')} devices, ${m.revokedInSet.toLocaleString('en')} in the revocation set`,
      measured: `${m.seeded.idleRssMiB} MiB idle, ${m.seeded.afterLoadRssMiB} MiB after load (empty DB: ${m.empty.idleRssMiB} / ${m.empty.afterLoadRssMiB} MiB)`,
      target: 'reported',
      met: null,
    });
  }
  for (const spread of results.revocationSpread ?? []) {
    out.push({
      figure: `8. Revocation spread across two processes, ${spread.database} (${spread.samples} samples)`,
      measured: `p50 ${spread.p50Ms} ms, p99 ${spread.p99Ms} ms, max ${spread.maxMs} ms`,
      target: spread.push ? 'p99 ≤ 100 ms (push)' : 'max ≤ 1,000 ms + one request (polling, 1 s)',
      met: spread.push ? spread.p99Ms <= 100 : spread.maxMs <= 1100,
    });
  }
  const ssf = results.ssfPush;
  if (ssf) {
    out.push({
      figure: `14. Revocation to an SSF push receiver (logout answered → SET arrived, ${ssf.samples} samples)`,
      measured: `p50 ${ssf.p50Ms} ms, p99 ${ssf.p99Ms} ms, max ${ssf.maxMs} ms`,
      target: 'p99 ≤ 1,000 ms',
      met: ssf.p99Ms <= 1000,
    });
  }
  const v = results.verifierOverhead;
  if (v) {
    out.push({
      figure: '9. Express + @device-auth/verifier ÷ the same app without it (req/s)',
      measured: `${v.ratio.median.toFixed(2)} (${v.ratio.min.toFixed(2)}–${v.ratio.max.toFixed(2)}); ${v.withVerifier.rps} vs ${v.without.rps} req/s`,
      target: 'reported',
      met: null,
    });
  }
  const replay = results.replayCacheMemory;
  if (replay) {
    out.push({
      figure: `10. DPoP replay cache at its cap (${replay.entries.toLocaleString('en')} proofs, one process's heap)`,
      measured: `${replay.sixteenOwnersMiB} MiB with 16 keys at their share; ${replay.everyProofItsOwnerMiB} MiB with every proof its own owner`,
      target: 'reported',
      met: null,
    });
  }
  const f = results.failedSignInTiming;
  if (f) {
    out.push({
      figure: `7. Failed sign-in time, existing ÷ unknown email (${f.samples} each, alternating)`,
      measured: `${f.medianRatio.toFixed(3)} (medians ${f.known.medianMs} / ${f.unknown.medianMs} ms); Welch z ${f.welchZ}`,
      target: '|z| < 3 (equal within noise)',
      met: Math.abs(f.welchZ) < 3,
    });
  }
  const mail = results.mail;
  if (mail) {
    out.push({
      figure: `11. Registration p99, SMTP server taking ${mail.slowSmtpMs / 1000} s a mail ÷ one accepting at once (${mail.samples} each, alternating)`,
      measured: `${mail.registration.p99Ratio.toFixed(2)} (${mail.registration.slow.p99Ms} / ${mail.registration.instant.p99Ms} ms)`,
      target: '≤ 1.5 (mail off the request path)',
      met: mail.registration.p99Ratio <= 1.5,
    });
    out.push({
      figure: '11. Second device sign-in p99 (queues a new-device alert), same servers',
      measured: `${mail.signIn.p99Ratio.toFixed(2)} (${mail.signIn.slow.p99Ms} / ${mail.signIn.instant.p99Ms} ms)`,
      target: '≤ 1.5',
      met: mail.signIn.p99Ratio <= 1.5,
    });
    out.push({
      figure: `11. Forgot password, address with ÷ without an account (${mail.samples} each, alternating)`,
      measured: `${mail.forgotPassword.medianRatio.toFixed(3)} (medians ${mail.forgotPassword.knownMedianMs} / ${mail.forgotPassword.unknownMedianMs} ms); Welch z ${mail.forgotPassword.welchZ}`,
      target: '|z| < 3 (equal within noise)',
      met: Math.abs(mail.forgotPassword.welchZ) < 3,
    });
  }
  const strong = results.strongSignIn;
  if (strong) {
    const ms = (l: { medianMs: number; p90Ms: number }) => `${l.medianMs} / ${l.p90Ms} ms`;
    out.push({
      figure: `12. Sign-in, passkey ÷ password (median; ${strong.samples} each, interleaved, one process)`,
      measured: `${strong.passkeyOverPassword.median.toFixed(2)} (p90 ${strong.passkeyOverPassword.p90.toFixed(2)}); median / p90: passkey ${ms(strong.passkey)} (${strong.passkey.optionsMedianMs} + ${strong.passkey.loginMedianMs} ms), password ${ms(strong.password)}`,
      target: 'reported',
      met: null,
    });
    out.push({
      figure: '12. Sign-in, password + TOTP code ÷ password alone (median), same run',
      measured: `${strong.totpOverPassword.median.toFixed(2)} (p90 ${strong.totpOverPassword.p90.toFixed(2)}); median / p90: TOTP ${ms(strong.totp)} (${strong.totp.loginMedianMs} + ${strong.totp.codeMedianMs} ms)`,
      target: 'reported',
      met: null,
    });
  }
  const keys = results.es256;
  if (keys) {
    const range = (r: { min: number; max: number }) => `(${r.min.toFixed(2)}–${r.max.toFixed(2)})`;
    const { me, refresh, signIn } = keys;
    const c = me.cpuNormalised;
    out.push({
      figure: '13a. GET /me ÷ GET /me-twin, one process, managed ES256 keys (the default; one token, verified-token cache)',
      measured: `${me.es256OverTwin.median.toFixed(2)} ${range(me.es256OverTwin)}; ${me.targets.es256.rps} vs ${me.targets.es256Twin.rps} req/s; per CPU-second ${c.es256OverTwin.median.toFixed(2)}`,
      target: '≥ 0.9',
      met: me.es256OverTwin.median >= 0.9,
    });
    out.push({
      figure: '13a. The same, static HS256 (same rounds); ES256 ÷ HS256',
      measured: `${me.hs256OverTwin.median.toFixed(2)} ${range(me.hs256OverTwin)}; ${me.targets.hs256.rps} vs ${me.targets.hs256Twin.rps} req/s; per CPU-second ${c.hs256OverTwin.median.toFixed(2)}; ES256 ÷ HS256 ${me.es256OverHs256.median.toFixed(2)} ${range(me.es256OverHs256)}, per CPU-second ${c.es256OverHs256.median.toFixed(2)}`,
      target: 'reported',
      met: null,
    });
    out.push({
      figure: '13c. The token check on a cache hit, in-process (parseAuthorization + AccessTokenChecker.verify, ES256)',
      measured: `${keys.cachedCheck.nanoseconds} ns a call (${keys.cachedCheck.calls} calls, ${keys.cachedCheck.tokenLength}-character token); ${((keys.cachedCheck.nanoseconds / 1000 / me.targets.es256Twin.serverCpuUsPerRequest) * 100).toFixed(1)} % of GET /me-twin's ${me.targets.es256Twin.serverCpuUsPerRequest} µs CPU a request`,
      target: 'reported',
      met: null,
    });
    out.push({
      figure: '13a. Null control: GET /me-twin on the ES256 API ÷ on the HS256 API (the same work, two processes)',
      measured: `${me.twinOverTwin.median.toFixed(2)} ${range(me.twinOverTwin)}; per CPU-second ${c.twinOverTwin.median.toFixed(2)} ${range(c.twinOverTwin)}`,
      target: 'reported',
      met: null,
    });
    const r = refresh.runs;
    out.push({
      figure: `13b. Refresh rotations/s, ES256 ÷ HS256 (${refresh.sessions} chained sessions, interleaved)`,
      measured: `${refresh.throughput.median.toFixed(2)} ${range(refresh.throughput)}; ${r.es256.rps} vs ${r.hs256.rps}/s; per CPU-second ${refresh.perCpuSecond.median.toFixed(2)} (${r.es256.serverCpuUsPerRequest} vs ${r.hs256.serverCpuUsPerRequest} µs); p50 ×${refresh.p50.median.toFixed(2)}, p90 ×${refresh.p90.median.toFixed(2)} (${r.es256.p90Ms} vs ${r.hs256.p90Ms} ms); ${r.es256.errors + r.hs256.errors + r.es256.chainChecksFailed + r.hs256.chainChecksFailed} errors`,
      target: 'reported',
      met: null,
    });
    out.push({
      figure: `13b. Password sign-in, ES256 ÷ HS256 (median; ${signIn.samples} each, alternating, one at a time)`,
      measured: `${signIn.median.toFixed(2)} (p90 ${signIn.p90.toFixed(2)}); median / p90: ES256 ${signIn.es256.medianMs} / ${signIn.es256.p90Ms} ms, HS256 ${signIn.hs256.medianMs} / ${signIn.hs256.p90Ms} ms`,
      target: 'reported',
      met: null,
    });
  }
  return out;
}

export function header(info: Machine): string {
  return `device-auth benchmarks: ${info.cores} cores (${info.cpu}), ${info.memoryGiB} GiB, Node ${info.node}, ${info.os}, commit ${info.commit}`;
}

export function printTable(info: Machine, table: Row[], results: Results): void {
  const met = (row: Row) => (row.met === null ? '' : row.met ? 'yes' : 'NO');
  const widths = [
    Math.max(6, ...table.map((row) => row.figure.length)),
    Math.max(8, ...table.map((row) => row.measured.length)),
    Math.max(6, ...table.map((row) => row.target.length)),
  ];
  const line = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i] ?? 3)).join('  ');
  console.log(`\n${header(info)}`);
  console.log(line(['figure', 'measured (median of rounds, min–max)', 'target', 'met']));
  console.log(line(widths.map((w) => '-'.repeat(w)).concat('---')));
  for (const row of table) console.log(line([row.figure, row.measured, row.target, met(row)]));
  const t = results.throughput;
  if (t) {
    console.log('\nthroughput runs (median req/s, p50/p99 ms, CPU cores used by server / load generator):');
    for (const target of Object.values(t.targets)) {
      console.log(
        `  ${target.label.padEnd(28)} ${String(target.rps).padStart(6)} req/s  ${target.p50Ms}/${target.p99Ms} ms  ` +
          `server ${target.serverCores} cores, ${target.serverCpuUsPerRequest} µs CPU/request; client ${target.clientCores} cores; errors ${target.errors}`,
      );
    }
    const c = t.cpuNormalised;
    console.log(
      `  same ratios from server CPU per request: guard cost ${c.guardCost.median.toFixed(2)}, JWT ÷ database ${c.jwtOverDatabase.median.toFixed(2)}×, GET /me ÷ bare ${c.meOverBare.median.toFixed(2)} (lines off ${c.meQuietOverBare.median.toFixed(2)}), DPoP ÷ bearer ${c.dpopOverBearer.median.toFixed(2)}`,
    );
  }
  if (results.es256) {
    console.log('\nfigure 13 runs (median req/s, p50/p99 ms, server CPU per request):');
    for (const target of Object.values(results.es256.me.targets)) {
      console.log(
        `  ${target.label.padEnd(28)} ${String(target.rps).padStart(6)} req/s  ${target.p50Ms}/${target.p99Ms} ms  server ${target.serverCores} cores, ${target.serverCpuUsPerRequest} µs CPU/request; errors ${target.errors}`,
      );
    }
  }
  console.log(
    `\n1-minute load average before/after each section: ${results.loadAverage.map((l) => `${l.section} ${l.before}/${l.after ?? '?'}`).join('; ')}`,
  );
  if (results.skipped.length > 0) console.log(`skipped: ${results.skipped.join(', ')}`);
  console.log(`\ntotal ${results.seconds} s`);
}

export function markdown(info: Machine, table: Row[], when: string, results: Results): string {
  const met = (row: Row) => (row.met === null ? '—' : row.met ? 'met' : '**missed**');
  return [
    `${header(info)}, ${when}`,
    '',
    `1-minute load average before/after each section: ${results.loadAverage.map((l) => `${l.section} ${l.before}/${l.after ?? '?'}`).join('; ')}`,
    '',
    '| figure | measured (median of rounds, min–max) | target | |',
    '| --- | --- | --- | --- |',
    ...table.map((row) => `| ${row.figure} | ${row.measured} | ${row.target} | ${met(row)} |`),
    '',
  ].join('\n');
}
