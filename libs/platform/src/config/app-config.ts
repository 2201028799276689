import { createHash, createPrivateKey, createPublicKey, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { dirname, join } from 'node:path';
import { parseDurationSeconds } from './duration.js';
import { readPackageInfo } from './package-info.js';

export type Environment = Readonly<Record<string, string | undefined>>;

export type DatabaseTarget = { readonly kind: 'sqlite'; readonly path: string } | { readonly kind: 'postgres'; readonly url: string };

export interface RateLimit {
  readonly max: number;
  readonly windowSeconds: number;
}

/** How logs are written: one JSON object a line (production), or coloured text for a terminal. */
export type LogFormat = 'json' | 'pretty';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevelName = (typeof LOG_LEVELS)[number];
export interface SecurityWebhookTarget {
  readonly url: string;
  /** The HMAC-SHA256 key (the secret's UTF-8 bytes), held as a KeyObject built once. */
  readonly secret: KeyObject;
}

export interface AccessTokenKey {
  /** HS256 with JWT_SECRET by default; ES256 when JWT_PRIVATE_KEY (an EC P-256 key) is set. */
  readonly algorithm: 'HS256' | 'ES256';
  /**
   * Signs access tokens: the HS256 secret or the ES256 private key. Held as a KeyObject:
   * jsonwebtoken re-parses a string or Buffer on every call.
   */
  readonly signingKey: KeyObject;
  /** Verifies them: the same secret, or the ES256 public key. */
  readonly verificationKey: KeyObject;
  /** `kid` header: a fingerprint of the key (RFC 7638 thumbprint for ES256), never the key. */
  readonly id: string;
  /** The ES256 public key as a JWK, for `/.well-known/jwks.json`; null under HS256. */
  readonly publicJwk: Readonly<Record<string, string>> | null;
  readonly issuer: string;
  /** `aud` of the API's access tokens. */
  readonly audience: string;
  /** `aud` of the dashboard's own session tokens: never the API's, so neither app accepts the other's. */
  readonly dashboardAudience: string;
}

/** Where mail goes (API.md § Accounts: Mail). */
export interface MailSettings {
  /** SMTP_URL (`smtp://user:pass@host:587`, `smtps://…:465`); null outside production: `.eml` files in `directory`. */
  readonly smtpUrl: string | null;
  /** MAIL_FROM: the sender of every mail. */
  readonly from: string;
  /** Where `.eml` files go without SMTP_URL: `mail/` beside the SQLite file (`data/mail` otherwise). */
  readonly directory: string;
  /** MAIL_SEND_TIMEOUT in seconds: the longest wait for each SMTP step; a mail's lease is four times it. */
  readonly sendTimeout: number;
}

/** Email verification, recovery and the device rules of API.md § Accounts. */
export interface AccountSettings {
  /** PASSWORD_RESET_TTL in seconds: how long a reset link works. */
  readonly passwordResetTtl: number;
  /** REQUIRE_EMAIL_VERIFICATION: an unverified account cannot sign in (403 email_not_verified). */
  readonly requireEmailVerification: boolean;
  /** NEW_DEVICE_ALERTS: mail the account when a new device signs in. */
  readonly newDeviceAlerts: boolean;
  /** MAX_DEVICES_PER_USER: active devices an account may have (0: no cap); the least recently active goes first. */
  readonly maxDevicesPerUser: number;
}

/** The validated configuration, read once from the environment (and `.env`) and injected. */
export class AppConfig {
  readonly production!: boolean;
  readonly appName!: string;
  readonly appVersion!: string;
  readonly port!: number;
  readonly adminPort!: number;
  readonly host!: string;
  readonly database!: DatabaseTarget;
  readonly databasePoolSize!: number;
  readonly migrationsRun!: boolean;
  readonly jwt!: AccessTokenKey;
  /** Seconds. */
  readonly accessTokenTtl!: number;
  readonly refreshTokenTtl!: number;
  readonly sessionMaxAge!: number;
  readonly refreshReuseGrace!: number;
  readonly revocationSyncInterval!: number;
  readonly lastSeenFlushInterval!: number;
  readonly cookieSecure!: boolean;
  readonly loginRateLimit!: RateLimit;
  /** Registrations (attempts, whatever their outcome) allowed per client IP in the window. */
  readonly registerRateLimit!: RateLimit;
  /** Password hashes that may wait for a core at once (all clients together); then 503. */
  readonly passwordQueueLimit!: number;
  /**
   * TRUST_PROXY: the proxies whose X-Forwarded-For is believed, in Fastify's `trustProxy`
   * form (a hop count, or addresses/CIDRs); false: the client is the TCP peer.
   */
  readonly trustProxy!: false | number | string[];
  /** REQUEST_TIMEOUT in seconds: the longest a request's head and body may take to arrive. */
  readonly requestTimeout!: number;
  /**
   * PUBLIC_URL: the API's external base URL (`https://auth.example.com`, no trailing slash),
   * for RFC 8414 metadata and the default `iss`; null: URLs are built from the request.
   */
  readonly publicUrl!: string | null;
  /**
   * DPoP (RFC 9449): refuse sign-ins without a proof; require server nonces in proofs; how old a
   * proof may be (seconds); how many proofs each process remembers for replay detection.
   */
  readonly dpop!: { readonly required: boolean; readonly nonce: boolean; readonly proofMaxAge: number; readonly replayCacheSize: number };
  /** LOG_FORMAT: `json` in production, `pretty` otherwise; LOG_LEVEL: the lowest level written. */
  readonly logFormat!: LogFormat;
  readonly logLevel!: LogLevelName;
  /** METRICS_TOKEN: the bearer secret for `GET /metrics`; null: metrics are off (404). */
  readonly metricsToken!: string | null;
  /** SHUTDOWN_TIMEOUT in seconds: how long a stopping process may drain before it exits anyway. */
  readonly shutdownTimeout!: number;
  /** API_DOCS: serve `/openapi.json` and Swagger UI at `/docs`; on outside production by default. */
  readonly apiDocs!: boolean;
  /** SECURITY_WEBHOOK_URL / SECURITY_WEBHOOK_SECRET: where security events are POSTed, signed; null: no webhook. */
  readonly securityWebhook!: SecurityWebhookTarget | null;
  /** REVOCATION_FEED_TOKEN: the secret services outside present to read `GET /revocations`; null: the feed is off. */
  readonly revocationFeedToken!: string | null;
  readonly mail!: MailSettings;
  /** DASHBOARD_URL: the dashboard's external URL (no trailing slash), for mailed links. */
  readonly dashboardUrl!: string;
  readonly accounts!: AccountSettings;
  /** STEP_UP_MAX_AGE in seconds: how recent `auth_time` must be for sensitive operations (RFC 9470). */
  readonly stepUpMaxAge!: number;
  /** CORS_ORIGINS: browser origins allowed to call the API (exact origins); empty: none. */
  readonly corsOrigins!: readonly string[];

  private constructor(values: AppConfig) {
    Object.assign(this, values);
  }

  /** For scripts outside Nest (migrations, benchmarks): the process environment plus `.env`. */
  static fromProcessEnv(): AppConfig {
    if (existsSync('.env')) process.loadEnvFile('.env');
    return AppConfig.fromEnv(process.env);
  }

  /**
   * Validates every variable and reports all problems at once, each naming its variable,
   * so a bad deployment fails at start rather than on the first request.
   */
  static fromEnv(env: Environment): AppConfig {
    const problems: string[] = [];
    const reader = new EnvReader(env, problems);
    const production = env.NODE_ENV === 'production';
    const database = reader.database('DATABASE_URL', 'sqlite:data/auth.sqlite');
    const packageInfo = readPackageInfo();
    const publicUrl = reader.baseUrl('PUBLIC_URL');
    const values = {
      production,
      appName: packageInfo.name,
      appVersion: packageInfo.version,
      port: reader.port('PORT', 3000),
      adminPort: reader.port('ADMIN_PORT', 3001),
      host: reader.string('HOST', '0.0.0.0'),
      database,
      databasePoolSize: reader.integer('DATABASE_POOL_SIZE', 10, 1, 1000),
      migrationsRun: reader.boolean('MIGRATIONS_RUN', true),
      jwt: {
        ...reader.jwtKey(production, database),
        // RFC 8414 §3.3 / RFC 9068 §4: the metadata's issuer is the tokens' `iss`, a URL when PUBLIC_URL is set.
        issuer: reader.string('JWT_ISSUER', publicUrl ?? packageInfo.name),
        audience: reader.string('JWT_AUDIENCE', `${packageInfo.name}-api`),
        dashboardAudience: reader.string('JWT_DASHBOARD_AUDIENCE', `${packageInfo.name}-dashboard`),
      },
      accessTokenTtl: reader.duration('ACCESS_TOKEN_TTL', '15m', 1),
      refreshTokenTtl: reader.duration('REFRESH_TOKEN_TTL', '30d', 1),
      sessionMaxAge: reader.duration('SESSION_MAX_AGE', '90d', 1),
      refreshReuseGrace: reader.duration('REFRESH_REUSE_GRACE', '10s', 0),
      revocationSyncInterval: reader.duration('REVOCATION_SYNC_INTERVAL', '1s', 1),
      lastSeenFlushInterval: reader.duration('LAST_SEEN_FLUSH_INTERVAL', '1m', 1),
      cookieSecure: reader.boolean('COOKIE_SECURE', production),
      loginRateLimit: reader.rateLimit('LOGIN_RATE_LIMIT', '10/15m'),
      registerRateLimit: reader.rateLimit('REGISTER_RATE_LIMIT', '20/1h'),
      passwordQueueLimit: reader.integer('PASSWORD_QUEUE_LIMIT', 128, 1, 100_000),
      trustProxy: reader.trustProxy('TRUST_PROXY'),
      requestTimeout: reader.duration('REQUEST_TIMEOUT', '30s', 1),
      publicUrl,
      dpop: {
        required: reader.boolean('DPOP_REQUIRED', false),
        nonce: reader.boolean('DPOP_NONCE', false),
        proofMaxAge: reader.duration('DPOP_PROOF_MAX_AGE', '60s', 1),
        replayCacheSize: reader.integer('DPOP_REPLAY_CACHE_SIZE', 100_000, 100, 10_000_000),
      },
      logFormat: reader.oneOf('LOG_FORMAT', ['json', 'pretty'] as const, production ? 'json' : 'pretty'),
      logLevel: reader.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
      metricsToken: reader.optionalSecret('METRICS_TOKEN', MIN_METRICS_TOKEN_LENGTH),
      shutdownTimeout: reader.duration('SHUTDOWN_TIMEOUT', '10s', 1),
      apiDocs: reader.boolean('API_DOCS', !production),
      securityWebhook: reader.securityWebhook(production),
      revocationFeedToken: reader.optionalSecret('REVOCATION_FEED_TOKEN'),
      mail: {
        smtpUrl: reader.smtpUrl(production),
        from: reader.string('MAIL_FROM', 'no-reply@localhost'),
        directory: join(dataDirectory(database), 'mail'),
        sendTimeout: reader.duration('MAIL_SEND_TIMEOUT', '30s', 1),
      },
      dashboardUrl: reader.baseUrl('DASHBOARD_URL') ?? 'http://localhost:3001',
      accounts: {
        passwordResetTtl: reader.duration('PASSWORD_RESET_TTL', '30m', 60),
        requireEmailVerification: reader.boolean('REQUIRE_EMAIL_VERIFICATION', false),
        newDeviceAlerts: reader.boolean('NEW_DEVICE_ALERTS', true),
        maxDevicesPerUser: reader.integer('MAX_DEVICES_PER_USER', 0, 0, 10_000),
      },
      stepUpMaxAge: reader.duration('STEP_UP_MAX_AGE', '10m', 1),
      corsOrigins: reader.origins('CORS_ORIGINS'),
    };
    if (values.jwt.audience === values.jwt.dashboardAudience) {
      problems.push('JWT_DASHBOARD_AUDIENCE: must differ from JWT_AUDIENCE (the dashboard must not accept API tokens)');
    }
    reader.retired('ADMIN_EMAILS', 'grant the role with `npm run operator -- grant <email>`');
    if (problems.length > 0) {
      throw new ConfigurationError(problems);
    }
    return new AppConfig(values as AppConfig);
  }
}

export class ConfigurationError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigurationError';
  }
}

const MIN_SECRET_BYTES = 32;
/** A metrics scraper's token: long enough that guessing it over HTTP is hopeless. */
const MIN_METRICS_TOKEN_LENGTH = 16;

class EnvReader {
  constructor(
    private readonly env: Environment,
    private readonly problems: string[],
  ) {}

  private raw(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value === '' ? undefined : value;
  }

  string(name: string, fallback: string): string {
    return this.raw(name) ?? fallback;
  }

  integer(name: string, fallback: number, min: number, max: number): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const parsed = /^\d+$/.test(value) ? Number(value) : NaN;
    if (!(parsed >= min && parsed <= max)) {
      this.problems.push(`${name}: '${value}' is not a whole number from ${min} to ${max}`);
      return fallback;
    }
    return parsed;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const value = this.raw(name)?.toLowerCase();
    if (value === undefined) return fallback;
    if ((allowed as readonly string[]).includes(value)) return value as T;
    this.problems.push(`${name}: '${value}' is not one of ${allowed.join(', ')}`);
    return fallback;
  }

  port(name: string, fallback: number): number {
    return this.integer(name, fallback, 0, 65535);
  }

  boolean(name: string, fallback: boolean): boolean {
    const value = this.raw(name)?.toLowerCase();
    if (value === undefined) return fallback;
    if (['true', '1', 'yes'].includes(value)) return true;
    if (['false', '0', 'no'].includes(value)) return false;
    this.problems.push(`${name}: '${value}' is not a boolean (use true or false)`);
    return fallback;
  }

  duration(name: string, fallback: string, minSeconds: number): number {
    const value = this.raw(name) ?? fallback;
    const seconds = parseDurationSeconds(value);
    if (seconds === undefined || seconds < minSeconds) {
      this.problems.push(`${name}: '${value}' is not a duration of at least ${minSeconds}s (use 900, 900s, 15m, 12h or 30d)`);
      return parseDurationSeconds(fallback) as number;
    }
    return seconds;
  }

  rateLimit(name: string, fallback: string): RateLimit {
    const value = this.raw(name) ?? fallback;
    const [count, window, ...rest] = value.split('/');
    const max = /^\d+$/.test(count ?? '') ? Number(count) : NaN;
    const windowSeconds = window === undefined ? undefined : parseDurationSeconds(window);
    if (rest.length > 0 || !(max >= 1) || !windowSeconds) {
      this.problems.push(`${name}: '${value}' is not attempts/window, such as 10/15m`);
      return { max: 10, windowSeconds: 900 };
    }
    return { max, windowSeconds };
  }

  /** A hop count (`1`), or a comma-separated list of addresses, CIDRs and proxy-addr's names. */
  trustProxy(name: string): false | number | string[] {
    const value = this.raw(name);
    if (value === undefined) return false;
    if (/^\d+$/.test(value)) return Number(value);
    const entries = value
      .split(',')
      .map((entry) => entry.trim())
      .filter((entry) => entry.length > 0);
    const wrong = entries.filter((entry) => !isProxyAddress(entry));
    if (wrong.length > 0 || entries.length === 0) {
      this.problems.push(`${name}: '${value}' is not a hop count or a list of proxy addresses/CIDRs (such as 10.0.0.0/8,127.0.0.1)`);
      return false;
    }
    return entries;
  }

  /** An absolute http(s) URL with no query or fragment, without its trailing slash. */
  baseUrl(name: string): string | null {
    const value = this.raw(name);
    if (value === undefined) return null;
    let url: URL | undefined;
    try {
      url = new URL(value);
    } catch {
      url = undefined;
    }
    if (!url || !['http:', 'https:'].includes(url.protocol) || url.search || url.hash || url.username || url.password) {
      this.problems.push(`${name}: '${value}' is not an absolute http(s) URL without query or fragment, such as https://auth.example.com`);
      return null;
    }
    return url.href.replace(/\/+$/, '');
  }

  /**
   * SMTP_URL: `smtp://` (STARTTLS when offered) or `smtps://`, with a host. Required in
   * production, where mail that silently became files would lock people out of recovery.
   */
  smtpUrl(production: boolean): string | null {
    const value = this.raw('SMTP_URL');
    if (value === undefined) {
      if (production) this.problems.push('SMTP_URL: required when NODE_ENV=production (smtp://user:pass@host:587 or smtps://…:465)');
      return null;
    }
    let url: URL | undefined;
    try {
      url = new URL(value);
    } catch {
      url = undefined;
    }
    if (!url || !['smtp:', 'smtps:'].includes(url.protocol) || !url.hostname) {
      // Never repeat the value: it may hold the relay's password.
      this.problems.push('SMTP_URL: expected smtp://user:pass@host:587 or smtps://user:pass@host:465');
      return null;
    }
    return value;
  }

  /** A comma-separated list of exact browser origins (scheme, host, port; no path). */
  origins(name: string): string[] {
    const value = this.raw(name);
    if (value === undefined) return [];
    const origins: string[] = [];
    for (const entry of value
      .split(',')
      .map((part) => part.trim())
      .filter((part) => part.length > 0)) {
      let url: URL | undefined;
      try {
        url = new URL(entry);
      } catch {
        url = undefined;
      }
      if (!url || !['http:', 'https:'].includes(url.protocol) || url.origin !== entry.replace(/\/$/, '')) {
        this.problems.push(`${name}: '${entry}' is not an origin such as https://app.example.com (scheme, host and port only)`);
        continue;
      }
      origins.push(url.origin);
    }
    return origins;
  }

  /**
   * SECURITY_WEBHOOK_URL and SECURITY_WEBHOOK_SECRET, both or neither. The URL is absolute
   * http(s) without credentials (fetch refuses them; put a token in the query if the receiver
   * needs one); in production it must be https unless it names this host (a sidecar), because
   * the payload says which user's device was signed out and HMAC hides nothing.
   */
  securityWebhook(production: boolean): SecurityWebhookTarget | null {
    const value = this.raw('SECURITY_WEBHOOK_URL');
    const secret = this.raw('SECURITY_WEBHOOK_SECRET');
    if (value === undefined) {
      if (secret !== undefined) this.problems.push('SECURITY_WEBHOOK_SECRET: set without SECURITY_WEBHOOK_URL (set both, or neither)');
      return null;
    }
    let url: URL | undefined;
    try {
      url = new URL(value);
    } catch {
      url = undefined;
    }
    const problems = this.problems.length;
    if (!url || !['http:', 'https:'].includes(url.protocol) || url.hash || url.username || url.password) {
      this.problems.push(`SECURITY_WEBHOOK_URL: '${redactQuery(value)}' is not an absolute http(s) URL without credentials or fragment`);
    } else if (production && url.protocol !== 'https:' && !LOOPBACK_HOSTS.has(url.hostname)) {
      this.problems.push('SECURITY_WEBHOOK_URL: must be https when NODE_ENV=production (http only to localhost)');
    }
    if (secret === undefined) {
      this.problems.push(`SECURITY_WEBHOOK_SECRET: required when SECURITY_WEBHOOK_URL is set (at least ${MIN_SECRET_BYTES} random bytes)`);
    } else if (Buffer.byteLength(secret) < MIN_SECRET_BYTES) {
      this.problems.push(`SECURITY_WEBHOOK_SECRET: must be at least ${MIN_SECRET_BYTES} bytes`);
    }
    if (this.problems.length > problems || !url || secret === undefined) return null;
    return { url: url.href, secret: createSecretKey(Buffer.from(secret, 'utf8')) };
  }

  /**
   * A bearer secret that turns a feature on when set (null: off). By default held to
   * JWT_SECRET's length: it is the only thing between the Internet and what it guards, so it
   * must not be guessable. The value is never repeated in the message.
   */
  optionalSecret(name: string, minBytes = MIN_SECRET_BYTES): string | null {
    const value = this.raw(name);
    if (value === undefined) return null;
    if (Buffer.byteLength(value) < minBytes) {
      this.problems.push(`${name}: must be at least ${minBytes} bytes (for example: openssl rand -base64 32)`);
      return null;
    }
    return value;
  }

  /** A variable that used to mean something: set, it stops the start rather than being ignored. */
  retired(name: string, instead: string): void {
    if (this.raw(name) !== undefined) this.problems.push(`${name}: no longer supported; ${instead}`);
  }

  database(name: string, fallback: string): DatabaseTarget {
    const value = this.raw(name) ?? fallback;
    if (value.startsWith('sqlite:')) {
      const path = value.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
      if (path.length > 0) return { kind: 'sqlite', path };
    } else if (/^postgres(ql)?:\/\//.test(value)) {
      return { kind: 'postgres', url: value };
    }
    this.problems.push(`${name}: expected sqlite:<path> or postgres://…`);
    return { kind: 'sqlite', path: 'data/auth.sqlite' };
  }

  jwtKey(
    production: boolean,
    database: DatabaseTarget,
  ): Pick<AccessTokenKey, 'algorithm' | 'signingKey' | 'verificationKey' | 'id' | 'publicJwk'> {
    const pem = this.raw('JWT_PRIVATE_KEY');
    if (pem !== undefined) return this.es256Key(pem);
    let secret = this.raw('JWT_SECRET');
    if (secret !== undefined && Buffer.byteLength(secret) < MIN_SECRET_BYTES) {
      this.problems.push(`JWT_SECRET: must be at least ${MIN_SECRET_BYTES} bytes`);
    } else if (secret === undefined && production) {
      this.problems.push('JWT_SECRET: required when NODE_ENV=production (at least 32 random bytes), unless JWT_PRIVATE_KEY is set');
    } else if (secret === undefined) {
      secret = developmentSecret(database);
    }
    const bytes = Buffer.from(secret ?? randomBytes(MIN_SECRET_BYTES).toString('base64url'));
    const id = createHash('sha256').update(bytes).digest('base64url').slice(0, 16);
    const key = createSecretKey(bytes);
    return { algorithm: 'HS256', signingKey: key, verificationKey: key, id, publicJwk: null };
  }

  /** JWT_PRIVATE_KEY: a PEM EC P-256 private key ("\\n" accepted for line breaks in one-line env files). */
  private es256Key(pem: string): Pick<AccessTokenKey, 'algorithm' | 'signingKey' | 'verificationKey' | 'id' | 'publicJwk'> {
    try {
      const signingKey = createPrivateKey(pem.replace(/\\n/g, '\n'));
      if (signingKey.asymmetricKeyType !== 'ec' || signingKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1')
        throw new Error('not P-256');
      const verificationKey = createPublicKey(signingKey);
      const { crv, kty, x, y } = verificationKey.export({ format: 'jwk' }) as Record<string, string>;
      // RFC 7638: the thumbprint hashes the required members in lexicographic order.
      const id = createHash('sha256').update(JSON.stringify({ crv, kty, x, y })).digest('base64url');
      return { algorithm: 'ES256', signingKey, verificationKey, id, publicJwk: { kty, crv, x, y } };
    } catch {
      this.problems.push('JWT_PRIVATE_KEY: must be an EC P-256 private key in PEM (for ES256)');
      const fallback = createSecretKey(randomBytes(MIN_SECRET_BYTES));
      return { algorithm: 'HS256', signingKey: fallback, verificationKey: fallback, id: 'invalid', publicJwk: null };
    }
  }
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** A URL for an error message: its query may carry a receiver's token. */
function redactQuery(value: string): string {
  const query = value.indexOf('?');
  return query === -1 ? value : `${value.slice(0, query)}?…`;
}

const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

function isProxyAddress(entry: string): boolean {
  if (PROXY_NAMES.has(entry)) return true;
  const [address, prefix, ...rest] = entry.split('/');
  const family = isIP(address ?? '');
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d+$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

/** The folder of the SQLite file (`data/` for PostgreSQL or an in-memory database): development secrets and mail files. */
function dataDirectory(database: DatabaseTarget): string {
  return database.kind === 'sqlite' && database.path !== ':memory:' ? dirname(database.path) : 'data';
}

/**
 * Outside production a missing JWT_SECRET is generated once and kept beside the SQLite file
 * (`data/` otherwise), so tokens survive a restart and two local processes agree on it.
 */
function developmentSecret(database: DatabaseTarget): string {
  const dataDir = dataDirectory(database);
  const file = join(dataDir, 'jwt-secret');
  mkdirSync(dataDir, { recursive: true });
  try {
    // 'wx' fails if another process created it first; then both read the same file.
    writeFileSync(file, randomBytes(48).toString('base64url'), { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return readFileSync(file, 'utf8').trim();
}
