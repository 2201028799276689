import { createSecretKey, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import { dirname } from 'node:path';
import { parseDurationSeconds } from './duration.js';

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
/**
 * LOG_REQUESTS: which requests get their line. `errors`: a status of 400 or more, or slower
 * than SLOW_REQUEST_MS.
 */
export const REQUEST_LOG_MODES = ['all', 'errors', 'off'] as const;
export type RequestLogMode = (typeof REQUEST_LOG_MODES)[number];
/** With LOG_REQUESTS=errors, a request this slow (ms) is logged whatever its status. */
export const SLOW_REQUEST_MS = 1000;
export interface SecurityWebhookTarget {
  readonly url: string;
  /** The HMAC-SHA256 key (the secret's UTF-8 bytes), held as a KeyObject built once. */
  readonly secret: KeyObject;
}

export const MIN_SECRET_BYTES = 32;
/** A metrics scraper's token: long enough that guessing it over HTTP is hopeless. */
export const MIN_METRICS_TOKEN_LENGTH = 16;
/**
 * Reads and validates environment variables, one method per kind of value: a bad value is
 * recorded in `problems` (naming its variable, never repeating a secret) and the fallback is
 * returned, so every problem is reported at once.
 */
export class EnvReader {
  constructor(
    private readonly env: Environment,
    readonly problems: string[],
  ) {}

  /** The trimmed value; undefined when unset or empty. */
  raw(name: string): string | undefined {
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
    // Case-insensitive; the allowed spelling is returned (`eddsa` → `EdDSA`).
    const match = allowed.find((candidate) => candidate.toLowerCase() === value);
    if (match !== undefined) return match;
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
   * A WebAuthn relying party id: a lower-case host name (a registrable domain such as
   * `example.com`, or `localhost`), no scheme, port or path.
   */
  relyingPartyId(name: string, fallback: string): string {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (!/^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/.test(value)) {
      this.problems.push(`${name}: '${value}' is not a host name such as example.com (no scheme, port or path)`);
      return fallback;
    }
    return value;
  }

  /**
   * WebAuthn origins, comma-separated: exact http(s) origins (scheme, host, port), or an app's
   * origin such as `android:apk-key-hash:…` / `ios:bundle-id:…` (taken as written).
   */
  webAuthnOrigins(name: string, fallback: string): string[] {
    const value = this.raw(name);
    if (value === undefined) return [fallback];
    const origins: string[] = [];
    for (const entry of value
      .split(',')
      .map((part) => part.trim())
      .filter((part) => part.length > 0)) {
      if (/^(android|ios):[^\s,]+$/.test(entry)) {
        origins.push(entry);
        continue;
      }
      let url: URL | undefined;
      try {
        url = new URL(entry);
      } catch {
        url = undefined;
      }
      if (!url || !['http:', 'https:'].includes(url.protocol) || url.origin !== entry.replace(/\/$/, '')) {
        this.problems.push(`${name}: '${entry}' is not an origin such as https://app.example.com or android:apk-key-hash:…`);
        continue;
      }
      origins.push(url.origin);
    }
    if (origins.length === 0 && !this.problems.some((problem) => problem.startsWith(`${name}:`))) {
      this.problems.push(`${name}: names no origin`);
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
export function dataDirectory(database: DatabaseTarget): string {
  return database.kind === 'sqlite' && database.path !== ':memory:' ? dirname(database.path) : 'data';
}
