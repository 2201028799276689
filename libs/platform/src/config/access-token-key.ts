import { createHash, createPrivateKey, createPublicKey, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dataDirectory, MIN_SECRET_BYTES, type DatabaseTarget, type EnvReader } from './env-reader.js';

/** The algorithms of managed signing keys (JWT_ALG). */
export const MANAGED_KEY_ALGORITHMS = ['ES256', 'EdDSA'] as const;
export type ManagedKeyAlgorithm = (typeof MANAGED_KEY_ALGORITHMS)[number];

/** A static key, from JWT_SECRET (HS256), JWT_PRIVATE_KEY (ES256) or JWT_PREVIOUS_SECRET (verification only). */
export interface StaticAccessTokenKey {
  readonly algorithm: 'HS256' | 'ES256';
  /**
   * Signs access tokens: the HS256 secret or the ES256 private key. Held as a KeyObject:
   * libraries re-parse a string or Buffer on every call.
   */
  readonly signingKey: KeyObject;
  /** Verifies them: the same secret, or the ES256 public key. */
  readonly verificationKey: KeyObject;
  /** `kid` header: a fingerprint of the key (RFC 7638 thumbprint for ES256), never the key. */
  readonly id: string;
  /** The ES256 public key as a JWK, for `/.well-known/jwks.json`; null under HS256 (a secret is never published). */
  readonly publicJwk: Readonly<Record<string, string>> | null;
}

/** API.md § Signing keys and their rotation. */
export interface SigningKeySettings {
  /** JWT_SECRET or JWT_PRIVATE_KEY: one static key for the deployment's life; null: managed keys (the default). */
  readonly static: StaticAccessTokenKey | null;
  /** JWT_PREVIOUS_SECRET: an old HS256 secret still accepted for verification (never for signing). */
  readonly previous: StaticAccessTokenKey | null;
  /** JWT_ALG: the algorithm of new managed keys. */
  readonly algorithm: ManagedKeyAlgorithm;
  /** JWT_KEY_ROTATION in seconds: how long a managed key signs before its successor takes over. */
  readonly rotation: number;
  /** JWKS_MAX_AGE in seconds: how long verifiers may cache the key set. */
  readonly jwksMaxAge: number;
  /** KEY_ENCRYPTION_SECRET (32+ bytes): protects managed private keys at rest; null with a static key. */
  readonly encryptionSecret: Buffer | null;
  /**
   * The root the deployment's other secrets are derived from (dashboard CSRF, DPoP nonces, TOTP
   * secrets at rest): KEY_ENCRYPTION_SECRET with managed keys, the static key otherwise. Never a
   * key that rotates, so a rotation breaks none of them.
   */
  readonly derivationRoot: KeyObject;
  /** JWT_PREVIOUS_SECRET as a root: what was sealed under the old static secret still opens. */
  readonly previousDerivationRoot: KeyObject | null;
}

/** A new key may sign no sooner than this after JWKS_MAX_AGE has passed since it was published. */
export const KEY_PUBLICATION_MARGIN_S = 60;

/**
 * The signing-key settings: a static key (JWT_PRIVATE_KEY, ES256; JWT_SECRET, HS256) or managed
 * keys protected by KEY_ENCRYPTION_SECRET (generated once into the data folder outside production).
 */
export function readSigningKeySettings(reader: EnvReader, production: boolean, database: DatabaseTarget): SigningKeySettings {
  const algorithm = reader.oneOf('JWT_ALG', MANAGED_KEY_ALGORITHMS, 'ES256');
  const rotation = reader.duration('JWT_KEY_ROTATION', '30d', 60);
  const jwksMaxAge = reader.duration('JWKS_MAX_AGE', '5m', 0);
  if (rotation <= jwksMaxAge + KEY_PUBLICATION_MARGIN_S)
    reader.problems.push(`JWT_KEY_ROTATION: must be longer than JWKS_MAX_AGE plus ${KEY_PUBLICATION_MARGIN_S}s`);
  const previousSecret = reader.raw('JWT_PREVIOUS_SECRET');
  const previous = previousSecret === undefined ? null : hs256Key(reader, 'JWT_PREVIOUS_SECRET', previousSecret);
  const common = { previous, algorithm, rotation, jwksMaxAge, previousDerivationRoot: previous?.signingKey ?? null };
  const pem = reader.raw('JWT_PRIVATE_KEY');
  const secret = reader.raw('JWT_SECRET');
  if (pem !== undefined || secret !== undefined) {
    const key = pem !== undefined ? es256Key(reader, pem) : hs256Key(reader, 'JWT_SECRET', secret as string);
    return { ...common, static: key, encryptionSecret: null, derivationRoot: key.signingKey };
  }
  let encryptionSecret = reader.raw('KEY_ENCRYPTION_SECRET');
  if (encryptionSecret !== undefined && Buffer.byteLength(encryptionSecret) < MIN_SECRET_BYTES) {
    reader.problems.push(`KEY_ENCRYPTION_SECRET: must be at least ${MIN_SECRET_BYTES} bytes`);
  } else if (encryptionSecret === undefined && production) {
    reader.problems.push(
      `KEY_ENCRYPTION_SECRET: required when NODE_ENV=production (at least ${MIN_SECRET_BYTES} random bytes), unless JWT_SECRET or JWT_PRIVATE_KEY is set`,
    );
  } else if (encryptionSecret === undefined) {
    encryptionSecret = developmentSecret(database, 'key-encryption-secret');
  }
  const bytes = Buffer.from(encryptionSecret ?? randomBytes(MIN_SECRET_BYTES).toString('base64url'));
  return { ...common, static: null, encryptionSecret: bytes, derivationRoot: createSecretKey(bytes) };
}

function hs256Key(reader: EnvReader, name: string, secret: string): StaticAccessTokenKey {
  if (Buffer.byteLength(secret) < MIN_SECRET_BYTES) reader.problems.push(`${name}: must be at least ${MIN_SECRET_BYTES} bytes`);
  const bytes = Buffer.from(secret);
  const id = createHash('sha256').update(bytes).digest('base64url').slice(0, 16);
  const key = createSecretKey(bytes);
  return { algorithm: 'HS256', signingKey: key, verificationKey: key, id, publicJwk: null };
}

/** JWT_PRIVATE_KEY: a PEM EC P-256 private key ("\\n" accepted for line breaks in one-line env files). */
function es256Key(reader: EnvReader, pem: string): StaticAccessTokenKey {
  try {
    const signingKey = createPrivateKey(pem.replace(/\\n/g, '\n'));
    if (signingKey.asymmetricKeyType !== 'ec' || signingKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') throw new Error('not P-256');
    const verificationKey = createPublicKey(signingKey);
    const { crv, kty, x, y } = verificationKey.export({ format: 'jwk' }) as Record<string, string>;
    // RFC 7638: the thumbprint hashes the required members in lexicographic order.
    const id = createHash('sha256').update(JSON.stringify({ crv, kty, x, y })).digest('base64url');
    return { algorithm: 'ES256', signingKey, verificationKey, id, publicJwk: { kty, crv, x, y } };
  } catch {
    reader.problems.push('JWT_PRIVATE_KEY: must be an EC P-256 private key in PEM (for ES256)');
    const fallback = createSecretKey(randomBytes(MIN_SECRET_BYTES));
    return { algorithm: 'HS256', signingKey: fallback, verificationKey: fallback, id: 'invalid', publicJwk: null };
  }
}

/**
 * Outside production a missing secret is generated once and kept beside the SQLite file
 * (`data/` otherwise), so keys survive a restart and two local processes agree on it.
 */
function developmentSecret(database: DatabaseTarget, name: string): string {
  const dataDir = dataDirectory(database);
  const file = join(dataDir, name);
  mkdirSync(dataDir, { recursive: true });
  try {
    // 'wx' fails if another process created it first; then both read the same file.
    writeFileSync(file, randomBytes(48).toString('base64url'), { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return readFileSync(file, 'utf8').trim();
}
