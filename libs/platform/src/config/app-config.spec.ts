import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppConfig, ConfigurationError } from './app-config.js';

/** Production refuses to start without SMTP_URL (API.md § Accounts); nothing is mailed in these runs. */
const PRODUCTION_SMTP_URL = 'smtp://127.0.0.1:2525';

const SECRET = 'a-configuration-test-secret-of-32-bytes-or-more';

function problemsOf(env: Record<string, string>): string[] {
  try {
    AppConfig.fromEnv({ JWT_SECRET: SECRET, ...env });
  } catch (error) {
    if (error instanceof ConfigurationError) return [...error.problems];
    throw error;
  }
  return [];
}

describe('AppConfig.fromEnv', () => {
  it('applies the defaults of API.md', () => {
    const config = AppConfig.fromEnv({ JWT_SECRET: SECRET });
    expect(config).toMatchObject({
      port: 3000,
      adminPort: 3001,
      database: { kind: 'sqlite', path: 'data/auth.sqlite' },
      accessTokenTtl: 900,
      refreshTokenTtl: 30 * 86_400,
      sessionMaxAge: 90 * 86_400,
      refreshReuseGrace: 10,
      revocationSyncInterval: 1,
      cookieSecure: false,
      loginRateLimit: { max: 10, windowSeconds: 900 },
      registerRateLimit: { max: 20, windowSeconds: 3600 },
      migrationsRun: true,
      passwordQueueLimit: 128,
      trustProxy: false,
      requestTimeout: 30,
      publicUrl: null,
      dpop: { required: false, nonce: false, proofMaxAge: 60 },
      apiDocs: true,
    });
    expect(config.signingKeys.static?.algorithm).toBe('HS256');
  });

  it('reads durations with units and postgres URLs', () => {
    const config = AppConfig.fromEnv({
      JWT_SECRET: SECRET,
      ACCESS_TOKEN_TTL: '5m',
      SESSION_MAX_AGE: '12h',
      DATABASE_URL: 'postgres://app@db:5432/auth',
      LOGIN_RATE_LIMIT: '5/1h',
      REGISTER_RATE_LIMIT: '100/1d',
    });
    expect(config.accessTokenTtl).toBe(300);
    expect(config.sessionMaxAge).toBe(43_200);
    expect(config.database).toEqual({ kind: 'postgres', url: 'postgres://app@db:5432/auth' });
    expect(config).not.toHaveProperty('adminEmails');
    expect(config.loginRateLimit).toEqual({ max: 5, windowSeconds: 3600 });
    expect(config.registerRateLimit).toEqual({ max: 100, windowSeconds: 86_400 });
  });

  it.each([
    ['ACCESS_TOKEN_TTL', '15x'],
    ['REFRESH_TOKEN_TTL', 'forever'],
    ['REVOCATION_SYNC_INTERVAL', '0'],
    ['PORT', '70000'],
    ['COOKIE_SECURE', 'maybe'],
    ['LOGIN_RATE_LIMIT', 'ten'],
    ['REGISTER_RATE_LIMIT', '20/forever'],
    ['DATABASE_URL', 'mysql://x'],
  ])('stops with a message naming %s for %p', (name, value) => {
    const problems = problemsOf({ [name]: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(new RegExp(`^${name}: `));
  });

  it('refuses ADMIN_EMAILS (operators are a stored role now), naming the command that grants it', () => {
    expect(problemsOf({ ADMIN_EMAILS: 'ops@example.com' })).toEqual([
      'ADMIN_EMAILS: no longer supported; grant the role with `npm run operator -- grant <email>`',
    ]);
    expect(problemsOf({ ADMIN_EMAILS: '' })).toEqual([]);
  });

  it('reports every bad variable at once', () => {
    expect(problemsOf({ ACCESS_TOKEN_TTL: 'x', SESSION_MAX_AGE: 'y' })).toHaveLength(2);
  });

  it('refuses to start in production without KEY_ENCRYPTION_SECRET or a static key, or with a short one', () => {
    expect(() => AppConfig.fromEnv({ NODE_ENV: 'production', SMTP_URL: PRODUCTION_SMTP_URL })).toThrow(
      /KEY_ENCRYPTION_SECRET: required when NODE_ENV=production/,
    );
    expect(() => AppConfig.fromEnv({ NODE_ENV: 'production', SMTP_URL: PRODUCTION_SMTP_URL, KEY_ENCRYPTION_SECRET: 'short' })).toThrow(
      /KEY_ENCRYPTION_SECRET: must be at least 32 bytes/,
    );
    const managed = AppConfig.fromEnv({ NODE_ENV: 'production', SMTP_URL: PRODUCTION_SMTP_URL, KEY_ENCRYPTION_SECRET: SECRET });
    expect(managed.signingKeys).toMatchObject({ static: null, algorithm: 'ES256', rotation: 30 * 86400, jwksMaxAge: 300 });
    expect(() => AppConfig.fromEnv({ NODE_ENV: 'production', SMTP_URL: PRODUCTION_SMTP_URL, JWT_SECRET: 'too-short' })).toThrow(
      /JWT_SECRET: must be at least 32 bytes/,
    );
    expect(AppConfig.fromEnv({ NODE_ENV: 'production', SMTP_URL: PRODUCTION_SMTP_URL, JWT_SECRET: SECRET }).cookieSecure).toBe(true);
  });

  it('switches to ES256 with an EC P-256 JWT_PRIVATE_KEY, which also satisfies production', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const config = AppConfig.fromEnv({ NODE_ENV: 'production', SMTP_URL: PRODUCTION_SMTP_URL, JWT_PRIVATE_KEY: pem });
    expect(config.signingKeys.static?.algorithm).toBe('ES256');
    expect(config.signingKeys.static?.publicJwk).toEqual({ kty: 'EC', crv: 'P-256', x: expect.any(String), y: expect.any(String) });
    expect(config.signingKeys.static?.verificationKey.type).toBe('public');
  });

  it.each([
    ['not a key'],
    [generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()],
    [generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()],
  ])('stops with a message naming JWT_PRIVATE_KEY for a key that is not EC P-256', (pem) => {
    expect(problemsOf({ JWT_PRIVATE_KEY: pem })).toEqual([expect.stringMatching(/^JWT_PRIVATE_KEY: /)]);
  });

  it('outside production generates KEY_ENCRYPTION_SECRET once into the data folder and reuses it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'device-auth-config-'));
    try {
      const env = { DATABASE_URL: `sqlite:${join(dir, 'db', 'auth.sqlite')}` };
      const first = AppConfig.fromEnv(env);
      const file = join(dir, 'db', 'key-encryption-secret');
      expect(existsSync(file)).toBe(true);
      expect(readFileSync(file, 'utf8').length).toBeGreaterThanOrEqual(32);
      expect(AppConfig.fromEnv(env).signingKeys.encryptionSecret).toEqual(first.signingKeys.encryptionSecret);
      expect(AppConfig.fromEnv({ ...env, JWT_SECRET: SECRET }).signingKeys).toMatchObject({
        encryptionSecret: null,
        static: { algorithm: 'HS256' },
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each(['ftp://auth.example.com', 'https://auth.example.com/?x=1', 'auth.example.com', 'https://user:pw@auth.example.com'])(
    'refuses PUBLIC_URL=%s, naming the variable',
    (publicUrl) => {
      expect(() => AppConfig.fromEnv({ PUBLIC_URL: publicUrl })).toThrow(/PUBLIC_URL/);
    },
  );

  it('makes PUBLIC_URL (without its trailing slash) the default issuer', () => {
    const config = AppConfig.fromEnv({ PUBLIC_URL: 'https://auth.example.com/' });
    expect(config.publicUrl).toBe('https://auth.example.com');
    expect(config.jwt.issuer).toBe('https://auth.example.com');
  });

  it('reads TRUST_PROXY as a hop count or a list of addresses and CIDRs, and refuses anything else', () => {
    expect(AppConfig.fromEnv({ JWT_SECRET: SECRET, TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(AppConfig.fromEnv({ JWT_SECRET: SECRET, TRUST_PROXY: ' 10.0.0.0/8, 127.0.0.1 ,::1,loopback' }).trustProxy).toEqual([
      '10.0.0.0/8',
      '127.0.0.1',
      '::1',
      'loopback',
    ]);
    for (const value of ['proxy.internal', '10.0.0.0/33', '10.0.0.1/8/1', ',']) {
      expect(problemsOf({ TRUST_PROXY: value })).toEqual([expect.stringMatching(/^TRUST_PROXY: /)]);
    }
  });

  it('serves the API description outside production unless API_DOCS=false, and in production only with API_DOCS=true', () => {
    expect(AppConfig.fromEnv({ JWT_SECRET: SECRET, API_DOCS: 'false' }).apiDocs).toBe(false);
    expect(AppConfig.fromEnv({ JWT_SECRET: SECRET, NODE_ENV: 'production', SMTP_URL: PRODUCTION_SMTP_URL }).apiDocs).toBe(false);
    expect(AppConfig.fromEnv({ JWT_SECRET: SECRET, NODE_ENV: 'production', SMTP_URL: PRODUCTION_SMTP_URL, API_DOCS: 'true' }).apiDocs).toBe(
      true,
    );
    expect(problemsOf({ API_DOCS: 'sometimes' })).toEqual(["API_DOCS: 'sometimes' is not a boolean (use true or false)"]);
  });

  it('refuses a REQUEST_TIMEOUT, DPOP_PROOF_MAX_AGE or DPOP_NONCE that does not parse, naming each', () => {
    expect(problemsOf({ REQUEST_TIMEOUT: 'soon', DPOP_PROOF_MAX_AGE: '0', DPOP_NONCE: 'maybe' })).toEqual([
      expect.stringMatching(/^REQUEST_TIMEOUT: /),
      expect.stringMatching(/^DPOP_NONCE: /),
      expect.stringMatching(/^DPOP_PROOF_MAX_AGE: /),
    ]);
  });

  it('logs JSON in production and pretty text otherwise, at info, unless LOG_FORMAT/LOG_LEVEL say otherwise', () => {
    expect(AppConfig.fromEnv({ JWT_SECRET: SECRET })).toMatchObject({ logFormat: 'pretty', logLevel: 'info' });
    expect(AppConfig.fromEnv({ NODE_ENV: 'production', SMTP_URL: PRODUCTION_SMTP_URL, JWT_SECRET: SECRET }).logFormat).toBe('json');
    expect(AppConfig.fromEnv({ JWT_SECRET: SECRET, LOG_FORMAT: 'JSON', LOG_LEVEL: 'debug' })).toMatchObject({
      logFormat: 'json',
      logLevel: 'debug',
    });
    expect(
      AppConfig.fromEnv({ NODE_ENV: 'production', SMTP_URL: PRODUCTION_SMTP_URL, JWT_SECRET: SECRET, LOG_FORMAT: 'pretty' }).logFormat,
    ).toBe('pretty');
    expect(problemsOf({ LOG_FORMAT: 'xml', LOG_LEVEL: 'loud' })).toEqual([
      "LOG_FORMAT: 'xml' is not one of json, pretty",
      "LOG_LEVEL: 'loud' is not one of fatal, error, warn, info, debug, trace, silent",
    ]);
  });

  it('logs every request unless LOG_REQUESTS says errors (status >= 400 or slow) or off', () => {
    expect(AppConfig.fromEnv({ JWT_SECRET: SECRET }).logRequests).toBe('all');
    expect(AppConfig.fromEnv({ NODE_ENV: 'production', SMTP_URL: PRODUCTION_SMTP_URL, JWT_SECRET: SECRET }).logRequests).toBe('all');
    expect(AppConfig.fromEnv({ JWT_SECRET: SECRET, LOG_REQUESTS: 'Errors' }).logRequests).toBe('errors');
    expect(AppConfig.fromEnv({ JWT_SECRET: SECRET, LOG_REQUESTS: ' off ' }).logRequests).toBe('off');
    expect(problemsOf({ LOG_REQUESTS: 'some' })).toEqual(["LOG_REQUESTS: 'some' is not one of all, errors, off"]);
  });

  it('turns metrics on with a METRICS_TOKEN of at least 16 bytes, and never repeats a short one', () => {
    expect(AppConfig.fromEnv({ JWT_SECRET: SECRET }).metricsToken).toBeNull();
    expect(AppConfig.fromEnv({ JWT_SECRET: SECRET, METRICS_TOKEN: 'scrape-me-0123456789' }).metricsToken).toBe('scrape-me-0123456789');
    const problems = problemsOf({ METRICS_TOKEN: 'short-secret' });
    expect(problems).toEqual(['METRICS_TOKEN: must be at least 16 bytes (for example: openssl rand -base64 32)']);
    expect(problems.join()).not.toContain('short-secret');
  });

  it('bounds the shutdown by SHUTDOWN_TIMEOUT (10 s by default)', () => {
    expect(AppConfig.fromEnv({ JWT_SECRET: SECRET }).shutdownTimeout).toBe(10);
    expect(AppConfig.fromEnv({ JWT_SECRET: SECRET, SHUTDOWN_TIMEOUT: '1m' }).shutdownTimeout).toBe(60);
    expect(problemsOf({ SHUTDOWN_TIMEOUT: '0' })).toEqual([expect.stringMatching(/^SHUTDOWN_TIMEOUT: /)]);
  });

  describe('SECURITY_WEBHOOK_URL / SECURITY_WEBHOOK_SECRET', () => {
    const HOOK_SECRET = 'a-webhook-secret-of-at-least-32-bytes!';

    it('is off when neither is set', () => {
      expect(AppConfig.fromEnv({ JWT_SECRET: SECRET }).securityWebhook).toBeNull();
    });

    it('holds the URL and the secret as an HMAC key of its UTF-8 bytes', () => {
      const config = AppConfig.fromEnv({
        JWT_SECRET: SECRET,
        SECURITY_WEBHOOK_URL: 'https://hooks.example.com/auth?token=abc',
        SECURITY_WEBHOOK_SECRET: HOOK_SECRET,
      });
      expect(config.securityWebhook?.url).toBe('https://hooks.example.com/auth?token=abc');
      expect(config.securityWebhook?.secret.export().toString('utf8')).toBe(HOOK_SECRET);
    });

    it('needs both, a secret of at least 32 bytes, and an http(s) URL without credentials or fragment, naming the variable', () => {
      expect(problemsOf({ SECURITY_WEBHOOK_URL: 'https://hooks.example.com/' })).toEqual([
        expect.stringMatching(/^SECURITY_WEBHOOK_SECRET: required when SECURITY_WEBHOOK_URL is set/),
      ]);
      expect(problemsOf({ SECURITY_WEBHOOK_SECRET: HOOK_SECRET })).toEqual([
        expect.stringMatching(/^SECURITY_WEBHOOK_SECRET: set without/),
      ]);
      expect(problemsOf({ SECURITY_WEBHOOK_URL: 'https://hooks.example.com/', SECURITY_WEBHOOK_SECRET: 'short' })).toEqual([
        'SECURITY_WEBHOOK_SECRET: must be at least 32 bytes',
      ]);
      for (const url of [
        'hooks.example.com',
        'ftp://hooks.example.com/',
        'https://user:pw@hooks.example.com/',
        'https://hooks.example.com/#x',
      ]) {
        expect(problemsOf({ SECURITY_WEBHOOK_URL: url, SECURITY_WEBHOOK_SECRET: HOOK_SECRET })).toEqual([
          expect.stringMatching(/^SECURITY_WEBHOOK_URL: /),
        ]);
      }
    });

    it('does not repeat a query string (it may hold a token) in its error', () => {
      const [problem] = problemsOf({
        SECURITY_WEBHOOK_URL: 'ftp://hooks.example.com/?token=hunter2',
        SECURITY_WEBHOOK_SECRET: HOOK_SECRET,
      });
      expect(problem).toMatch(/^SECURITY_WEBHOOK_URL: /);
      expect(problem).not.toContain('hunter2');
    });

    it('in production wants https, but for a receiver on this host', () => {
      const production = { NODE_ENV: 'production', SMTP_URL: PRODUCTION_SMTP_URL, SECURITY_WEBHOOK_SECRET: HOOK_SECRET };
      expect(problemsOf({ ...production, SECURITY_WEBHOOK_URL: 'http://hooks.example.com/' })).toEqual([
        'SECURITY_WEBHOOK_URL: must be https when NODE_ENV=production (http only to localhost)',
      ]);
      expect(problemsOf({ ...production, SECURITY_WEBHOOK_URL: 'https://hooks.example.com/' })).toEqual([]);
      expect(problemsOf({ ...production, SECURITY_WEBHOOK_URL: 'http://127.0.0.1:9000/hook' })).toEqual([]);
      expect(problemsOf({ ...production, SECURITY_WEBHOOK_URL: 'http://[::1]:9000/hook' })).toEqual([]);
      expect(problemsOf({ SECURITY_WEBHOOK_SECRET: HOOK_SECRET, SECURITY_WEBHOOK_URL: 'http://hooks.example.com/' })).toEqual([]);
    });
  });
  it('leaves the revocation feed off without REVOCATION_FEED_TOKEN, and refuses one under 32 bytes', () => {
    expect(AppConfig.fromEnv({ JWT_SECRET: SECRET }).revocationFeedToken).toBeNull();
    const token = 'feed-token-of-at-least-thirty-two-bytes';
    expect(AppConfig.fromEnv({ JWT_SECRET: SECRET, REVOCATION_FEED_TOKEN: token }).revocationFeedToken).toBe(token);
    expect(problemsOf({ REVOCATION_FEED_TOKEN: 'short-secret' })).toEqual([
      expect.stringMatching(/^REVOCATION_FEED_TOKEN: must be at least 32 bytes/),
    ]);
  });

  describe('accounts (API.md § Accounts, Configuration)', () => {
    it('has the documented defaults: mail as files beside the SQLite file, the dashboard on localhost:3001, no CORS', () => {
      const config = AppConfig.fromEnv({ JWT_SECRET: SECRET, DATABASE_URL: 'sqlite:/tmp/somewhere/auth.sqlite' });
      expect(config.mail).toEqual({ smtpUrl: null, from: 'no-reply@localhost', directory: '/tmp/somewhere/mail', sendTimeout: 30 });
      expect(config.dashboardUrl).toBe('http://localhost:3001');
      expect(config.accounts).toEqual({
        passwordResetTtl: 1800,
        requireEmailVerification: false,
        newDeviceAlerts: true,
        maxDevicesPerUser: 0,
      });
      expect(config.stepUpMaxAge).toBe(600);
      expect(config.corsOrigins).toEqual([]);
    });

    it('refuses production without SMTP_URL, and any SMTP_URL that is not smtp:// or smtps:// (without repeating it)', () => {
      expect(() => AppConfig.fromEnv({ NODE_ENV: 'production', JWT_SECRET: SECRET })).toThrow(
        /SMTP_URL: required when NODE_ENV=production/,
      );
      let message = '';
      try {
        AppConfig.fromEnv({ JWT_SECRET: SECRET, SMTP_URL: 'https://user:s3cret-pass@mail.example.com' });
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toMatch(/SMTP_URL: expected smtp:\/\//);
      expect(message).not.toContain('s3cret-pass');
      expect(AppConfig.fromEnv({ JWT_SECRET: SECRET, SMTP_URL: 'smtps://u:p@mail.example.com:465' }).mail.smtpUrl).toBe(
        'smtps://u:p@mail.example.com:465',
      );
    });

    it('reads CORS_ORIGINS as exact origins and refuses a path, a wildcard or a non-http scheme', () => {
      expect(
        AppConfig.fromEnv({ JWT_SECRET: SECRET, CORS_ORIGINS: 'https://app.example.com, http://localhost:5173/' }).corsOrigins,
      ).toEqual(['https://app.example.com', 'http://localhost:5173']);
      for (const wrong of ['*', 'https://app.example.com/path', 'ftp://files.example.com', 'app.example.com']) {
        expect(() => AppConfig.fromEnv({ JWT_SECRET: SECRET, CORS_ORIGINS: wrong })).toThrow(/CORS_ORIGINS: '.*' is not an origin/);
      }
    });

    it('reads the account settings and refuses nonsense', () => {
      const config = AppConfig.fromEnv({
        JWT_SECRET: SECRET,
        PASSWORD_RESET_TTL: '15m',
        REQUIRE_EMAIL_VERIFICATION: 'true',
        NEW_DEVICE_ALERTS: 'false',
        MAX_DEVICES_PER_USER: '5',
        DASHBOARD_URL: 'https://dash.example.com/',
        STEP_UP_MAX_AGE: '5m',
        MAIL_SEND_TIMEOUT: '2m',
      });
      expect(config.mail.sendTimeout).toBe(120);
      expect(config.accounts).toEqual({
        passwordResetTtl: 900,
        requireEmailVerification: true,
        newDeviceAlerts: false,
        maxDevicesPerUser: 5,
      });
      expect(config.dashboardUrl).toBe('https://dash.example.com');
      expect(config.stepUpMaxAge).toBe(300);
      expect(() => AppConfig.fromEnv({ JWT_SECRET: SECRET, MAX_DEVICES_PER_USER: '-1' })).toThrow(/MAX_DEVICES_PER_USER/);
      expect(() => AppConfig.fromEnv({ JWT_SECRET: SECRET, DASHBOARD_URL: 'not a url' })).toThrow(/DASHBOARD_URL/);
    });

    it('takes the passkeys relying party from DASHBOARD_URL by default (its host name and origin)', () => {
      expect(AppConfig.fromEnv({ JWT_SECRET: SECRET }).webAuthn).toEqual({
        rpId: 'localhost',
        rpName: 'device-auth',
        origins: ['http://localhost:3001'],
      });
      expect(AppConfig.fromEnv({ JWT_SECRET: SECRET, DASHBOARD_URL: 'https://dash.example.com:8443/app' }).webAuthn).toEqual({
        rpId: 'dash.example.com',
        rpName: 'device-auth',
        origins: ['https://dash.example.com:8443'],
      });
    });

    it('reads WEBAUTHN_RP_ID, WEBAUTHN_RP_NAME and WEBAUTHN_ORIGINS (web origins and app origins), and refuses nonsense', () => {
      const config = AppConfig.fromEnv({
        JWT_SECRET: SECRET,
        WEBAUTHN_RP_ID: 'example.com',
        WEBAUTHN_RP_NAME: 'Example',
        WEBAUTHN_ORIGINS: 'https://example.com, https://app.example.com:8443/, android:apk-key-hash:abc-DEF_123',
      });
      expect(config.webAuthn).toEqual({
        rpId: 'example.com',
        rpName: 'Example',
        origins: ['https://example.com', 'https://app.example.com:8443', 'android:apk-key-hash:abc-DEF_123'],
      });
      for (const wrong of ['https://example.com', 'example.com:443', 'example.com/path', 'Example.com', '-bad.example.com']) {
        expect(problemsOf({ WEBAUTHN_RP_ID: wrong })).toEqual([expect.stringMatching(/^WEBAUTHN_RP_ID: '.*' is not a host name/)]);
      }
      for (const wrong of ['*', 'https://example.com/path', 'ftp://example.com', 'example.com']) {
        expect(problemsOf({ WEBAUTHN_ORIGINS: wrong })).toEqual([expect.stringMatching(/^WEBAUTHN_ORIGINS: '.*' is not an origin/)]);
      }
      expect(problemsOf({ WEBAUTHN_ORIGINS: ' , ' })).toEqual(['WEBAUTHN_ORIGINS: names no origin']);
    });
  });
});
