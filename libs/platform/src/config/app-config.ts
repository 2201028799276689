import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readSigningKeySettings, type SigningKeySettings } from './access-token-key.js';
import {
  dataDirectory,
  EnvReader,
  LOG_LEVELS,
  MIN_METRICS_TOKEN_LENGTH,
  REQUEST_LOG_MODES,
  type DatabaseTarget,
  type Environment,
  type LogFormat,
  type LogLevelName,
  type RateLimit,
  type RequestLogMode,
  type SecurityWebhookTarget,
} from './env-reader.js';
import { readPackageInfo } from './package-info.js';

export {
  KEY_PUBLICATION_MARGIN_S,
  MANAGED_KEY_ALGORITHMS,
  type ManagedKeyAlgorithm,
  type SigningKeySettings,
  type StaticAccessTokenKey,
} from './access-token-key.js';

/** The names access tokens carry (API.md § Tokens). */
export interface TokenNames {
  readonly issuer: string;
  /** `aud` of the API's access tokens. */
  readonly audience: string;
  /** `aud` of the dashboard's own session tokens: never the API's, so neither app accepts the other's. */
  readonly dashboardAudience: string;
}
export {
  LOG_LEVELS,
  REQUEST_LOG_MODES,
  SLOW_REQUEST_MS,
  type DatabaseTarget,
  type Environment,
  type LogFormat,
  type LogLevelName,
  type RateLimit,
  type RequestLogMode,
  type SecurityWebhookTarget,
} from './env-reader.js';

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

/** The WebAuthn relying party of passkeys (API.md § Strong authentication). */
export interface WebAuthnSettings {
  /** WEBAUTHN_RP_ID: the relying party id (a registrable domain); default: DASHBOARD_URL's host name. */
  readonly rpId: string;
  /** WEBAUTHN_RP_NAME: the name authenticators show. */
  readonly rpName: string;
  /** WEBAUTHN_ORIGINS: the origins a ceremony may come from (web origins, or apps' such as `android:apk-key-hash:…`); default: DASHBOARD_URL's origin. */
  readonly origins: readonly string[];
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
  readonly jwt!: TokenNames;
  readonly signingKeys!: SigningKeySettings;
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
  /**
   * LOG_REQUESTS: `all` (a line per request), `errors` (status ≥ 400, or slower than
   * SLOW_REQUEST_MS), or `off`.
   */
  readonly logRequests!: RequestLogMode;
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
  readonly webAuthn!: WebAuthnSettings;

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
    const dashboardUrl = reader.baseUrl('DASHBOARD_URL') ?? 'http://localhost:3001';
    // Typed as the config itself: a field left out (or misspelt) here does not compile.
    const values: AppConfig = {
      production,
      appName: packageInfo.name,
      appVersion: packageInfo.version,
      port: reader.port('PORT', 3000),
      adminPort: reader.port('ADMIN_PORT', 3001),
      host: reader.string('HOST', '0.0.0.0'),
      database,
      databasePoolSize: reader.integer('DATABASE_POOL_SIZE', 10, 1, 1000),
      migrationsRun: reader.boolean('MIGRATIONS_RUN', true),
      signingKeys: readSigningKeySettings(reader, production, database),
      jwt: {
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
      logRequests: reader.oneOf('LOG_REQUESTS', REQUEST_LOG_MODES, 'all'),
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
      dashboardUrl,
      accounts: {
        passwordResetTtl: reader.duration('PASSWORD_RESET_TTL', '30m', 60),
        requireEmailVerification: reader.boolean('REQUIRE_EMAIL_VERIFICATION', false),
        newDeviceAlerts: reader.boolean('NEW_DEVICE_ALERTS', true),
        maxDevicesPerUser: reader.integer('MAX_DEVICES_PER_USER', 0, 0, 10_000),
      },
      stepUpMaxAge: reader.duration('STEP_UP_MAX_AGE', '10m', 1),
      corsOrigins: reader.origins('CORS_ORIGINS'),
      webAuthn: {
        rpId: reader.relyingPartyId('WEBAUTHN_RP_ID', new URL(dashboardUrl).hostname),
        rpName: reader.string('WEBAUTHN_RP_NAME', 'device-auth'),
        origins: reader.webAuthnOrigins('WEBAUTHN_ORIGINS', new URL(dashboardUrl).origin),
      },
    };
    if (values.jwt.audience === values.jwt.dashboardAudience) {
      problems.push('JWT_DASHBOARD_AUDIENCE: must differ from JWT_AUDIENCE (the dashboard must not accept API tokens)');
    }
    reader.retired('ADMIN_EMAILS', 'grant the role with `npm run operator -- grant <email>`');
    if (problems.length > 0) {
      throw new ConfigurationError(problems);
    }
    return new AppConfig(values);
  }
}

export class ConfigurationError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigurationError';
  }
}
