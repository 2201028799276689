import { createHash, createPrivateKey, createPublicKey, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dataDirectory, MIN_SECRET_BYTES, type DatabaseTarget, type EnvReader } from './env-reader.js';

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

/** The key itself, without the names (`iss`, `aud`) the tokens carry. */
export type AccessTokenKeyMaterial = Pick<AccessTokenKey, 'algorithm' | 'signingKey' | 'verificationKey' | 'id' | 'publicJwk'>;

/**
 * The access-token key material: JWT_PRIVATE_KEY (ES256) or JWT_SECRET (HS256; generated once
 * into the data folder outside production).
 */
export function readAccessTokenKey(reader: EnvReader, production: boolean, database: DatabaseTarget): AccessTokenKeyMaterial {
  const pem = reader.raw('JWT_PRIVATE_KEY');
  if (pem !== undefined) return es256Key(reader, pem);
  let secret = reader.raw('JWT_SECRET');
  if (secret !== undefined && Buffer.byteLength(secret) < MIN_SECRET_BYTES) {
    reader.problems.push(`JWT_SECRET: must be at least ${MIN_SECRET_BYTES} bytes`);
  } else if (secret === undefined && production) {
    reader.problems.push('JWT_SECRET: required when NODE_ENV=production (at least 32 random bytes), unless JWT_PRIVATE_KEY is set');
  } else if (secret === undefined) {
    secret = developmentSecret(database);
  }
  const bytes = Buffer.from(secret ?? randomBytes(MIN_SECRET_BYTES).toString('base64url'));
  const id = createHash('sha256').update(bytes).digest('base64url').slice(0, 16);
  const key = createSecretKey(bytes);
  return { algorithm: 'HS256', signingKey: key, verificationKey: key, id, publicJwk: null };
}

/** JWT_PRIVATE_KEY: a PEM EC P-256 private key ("\\n" accepted for line breaks in one-line env files). */
function es256Key(reader: EnvReader, pem: string): AccessTokenKeyMaterial {
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
